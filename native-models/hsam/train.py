"""Training loop with the H-SAM recipe (docs/HSAM.md section 4).

- trainable: ``mode="lora"`` (fine-tuning) = LoRA on q/v + prompt encoder +
  both decoders, encoder frozen; ``mode="all"`` (the demo, which has no
  pretrained encoder) = every parameter.
- loss per stage 0.1 * CE + 0.9 * Dice (softmax soft Dice averaged over the
  N classes, squared denominators, smooth 1e-5); stage 1 against the label
  nearest-resized to 4g x 4g, stage 2 at S x S; total (1-w) L1 + w L2 with
  w = 0.6 ** (0.99 ** epoch).
- stage 2 sees E + N(0,1) * 0.2 * (max E - min E) during training.
- AdamW(betas 0.9/0.999, weight decay 0.1); linear warm-up base*(it+1)/W, then
  poly decay base*(1 - (it-W)/steps)**0.9. W = min(250, steps // 10) so short
  few-shot runs still leave warm-up (the recipe's 250 assumes ~4000 iterations).
- augmentation: p=0.45 rotation by an integer angle in [-20, 20) (nearest,
  image included), else p~0.41 random zoom-in crop; the recipe's elastic
  branch is not implemented. ``augment_mode="strong"`` (the demo, for patients
  it never saw): intensity (contrast, brightness, noise), scale, rotation,
  shift and a smooth elastic warp in one resampling (augment_strong).
- seeded (torch + numpy), deterministic given seed and thread count.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from torch.nn import functional as F

from .data import SliceSet
from .modeling.model import HSam

ProgressFn = Callable[[Dict], None]


@dataclass
class TrainOptions:
    steps: int = 100
    batch_size: int = 4
    lr: float = 0.0025
    weight_decay: float = 0.1
    warmup: Optional[int] = None
    seed: int = 2345
    mode: str = "lora"  # "lora" | "all"
    lora_rank: int = 5
    augment: bool = True
    augment_mode: str = "basic"  # "basic" | "strong"
    embedding_noise: float = 0.2
    device: str = "cpu"


def dice_loss(logits: torch.Tensor, target: torch.Tensor, n: int) -> torch.Tensor:
    """Soft Dice over softmax(logits) [B,N,H,W] vs int64 target [B,H,W], mean over classes."""
    p = logits.softmax(dim=1)
    t = F.one_hot(target, n).permute(0, 3, 1, 2).float()
    inter = (p * t).sum(dim=(0, 2, 3))
    denom = (p * p).sum(dim=(0, 2, 3)) + (t * t).sum(dim=(0, 2, 3))
    return (1 - (2 * inter + 1e-5) / (denom + 1e-5)).mean()


def stage_loss(logits: torch.Tensor, target: torch.Tensor, n: int) -> torch.Tensor:
    return 0.1 * F.cross_entropy(logits, target) + 0.9 * dice_loss(logits, target, n)


def stage_weight(epoch: float) -> float:
    """w = 0.6 ** (0.99 ** epoch): 0.60 at epoch 0, 0.83 at 100, 0.975 at 299."""
    return 0.6 ** (0.99**epoch)


def lr_at(it: int, steps: int, base: float, warmup: int) -> float:
    if it < warmup:
        return base * (it + 1) / warmup
    return base * max(0.0, 1.0 - (it - warmup) / steps) ** 0.9


def augment_batch(images: torch.Tensor, labels: torch.Tensor, rng: np.random.Generator):
    """images float32 [B,S,S], labels int64 [B,S,S] -> same shapes, augmented per sample."""
    out_i, out_l = [], []
    s = images.shape[-1]
    for img, lab in zip(images, labels):
        r = rng.random()
        x = torch.stack([img, lab.float()])[None]  # [1,2,S,S]
        if r < 0.45:
            ang = math.radians(int(rng.integers(-20, 20)))
            theta = torch.tensor([[math.cos(ang), -math.sin(ang), 0.0], [math.sin(ang), math.cos(ang), 0.0]])[None]
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)
        elif r < 0.86:
            keep = rng.uniform(0.5, 0.9)
            side = max(16, int(round(s * keep)))
            y0, x0 = (int(rng.integers(0, s - side + 1)) for _ in range(2))
            crop = x[:, :, y0 : y0 + side, x0 : x0 + side]
            im = F.interpolate(crop[:, :1], size=(s, s), mode="bilinear", align_corners=False)
            lb = F.interpolate(crop[:, 1:], size=(s, s), mode="nearest")
            x = torch.cat([im, lb], dim=1)
        out_i.append(x[0, 0])
        out_l.append(x[0, 1].round().long())
    return torch.stack(out_i), torch.stack(out_l)


def augment_strong(images: torch.Tensor, labels: torch.Tensor, rng: np.random.Generator):
    """images float32 [B,S,S] in [0, 1], labels int64 [B,S,S] -> same shapes. Per sample, with
    p=0.8 one warp: scale U(0.8, 1.25), rotation U(-20°, 20°), shift up to 8 %, plus an elastic
    displacement (a 6x6 field of N(0, 0.04) in normalised units, bicubically smoothed); the image
    resampled bilinear, the labels nearest. Then intensity, always: contrast U(0.8, 1.2) about
    0.5, brightness U(-0.08, 0.08), Gaussian noise sigma U(0, 0.03), clipped to [0, 1] (the
    window's range). Another scanner and patient differ in exactly these."""
    b, s = images.shape[0], images.shape[-1]
    x = torch.stack([images, labels.float()], dim=1)  # [B,2,S,S]
    out_i, out_l = [], []
    for k in range(b):
        xi = x[k : k + 1]
        if rng.random() < 0.8:
            sc = float(np.exp(rng.uniform(np.log(0.8), np.log(1.25))))
            ang = math.radians(rng.uniform(-20, 20))
            tx, ty = rng.uniform(-0.08, 0.08, size=2)
            c, si = math.cos(ang) / sc, math.sin(ang) / sc
            theta = torch.tensor([[c, -si, tx], [si, c, ty]], dtype=torch.float32)[None]
            grid = F.affine_grid(theta, [1, 2, s, s], align_corners=False)
            coarse = torch.from_numpy(rng.normal(0, 0.04, size=(1, 2, 6, 6)).astype(np.float32))
            grid = grid + F.interpolate(coarse, size=(s, s), mode="bicubic", align_corners=False).permute(0, 2, 3, 1)
            im = F.grid_sample(xi[:, :1], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
            lb = F.grid_sample(xi[:, 1:], grid, mode="nearest", padding_mode="zeros", align_corners=False)
            xi = torch.cat([im, lb], dim=1)
        img = (xi[0, 0] - 0.5) * rng.uniform(0.8, 1.2) + 0.5 + rng.uniform(-0.08, 0.08)
        img = img + torch.from_numpy(rng.normal(0, rng.uniform(0, 0.03), size=(s, s)).astype(np.float32))
        out_i.append(img.clamp(0, 1))
        out_l.append(xi[0, 1].round().long())
    return torch.stack(out_i), torch.stack(out_l)


def set_trainable(model: HSam, mode: str, lora_rank: int) -> List[torch.nn.Parameter]:
    if mode == "all":
        for p in model.parameters():
            p.requires_grad_(True)
        return [p for p in model.parameters()]
    if mode != "lora":
        raise ValueError(f"unknown training mode {mode!r}")
    for p in model.parameters():
        p.requires_grad_(False)
    model.image_encoder.enable_lora(lora_rank)
    params = list(model.image_encoder.lora_parameters())
    for part in (model.prompt_encoder, model.mask_decoder, model.mask_decoder2):
        for p in part.parameters():
            p.requires_grad_(True)
            params.append(p)
    return params


def to_input(images: torch.Tensor) -> torch.Tensor:
    """[B,S,S] -> [B,3,S,S]: the grayscale slice repeated in 3 channels."""
    return images[:, None].expand(-1, 3, -1, -1).contiguous()


@torch.no_grad()
def predict_labels(model: HSam, images: torch.Tensor, batch: int = 4, device: str = "cpu") -> torch.Tensor:
    """Test-time labels uint8 [K,S,S] for images [K,S,S]."""
    model.eval()
    out = []
    for i in range(0, images.shape[0], batch):
        x = to_input(images[i : i + batch]).to(device)
        out.append(model(x)["labels"].cpu())
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.uint8)


def pooled_dice(pred: torch.Tensor, gt: torch.Tensor, n: int) -> Dict[int, Optional[float]]:
    """Per class c >= 1: 2|P∩G| / (|P|+|G|) pooled over all slices; None if
    the class is absent from both prediction and ground truth."""
    out: Dict[int, Optional[float]] = {}
    for c in range(1, n):
        p, g = pred == c, gt == c
        denom = int(p.sum()) + int(g.sum())
        out[c] = None if denom == 0 else 2.0 * int((p & g).sum()) / denom
    return out


def warmup_steps(opts: TrainOptions) -> int:
    """The learning-rate warm-up: as set, else a tenth of the steps (1 to 250)."""
    return opts.warmup if opts.warmup is not None else max(1, min(250, opts.steps // 10))


def progress_event(it: int, steps: int, loss: float, lr: float, t0: float, **extra) -> Dict:
    """One JSON-lines progress record after step `it` (0-based); the app reads these fields."""
    el = time.time() - t0
    return {
        "event": "progress",
        "step": it + 1,
        "steps": steps,
        "loss": round(loss, 5),
        "lr": lr,
        "elapsed_s": round(el, 2),
        "eta_s": round(el / (it + 1) * (steps - it - 1), 1),
        **extra,
    }


def global_batches(train_set: SliceSet, opts: TrainOptions, rng: np.random.Generator):
    """The batch of each step, augmented: (images float32 [B,S,S], labels int64 [B,S,S]) for
    opts.steps steps. Every data-parallel rank draws the same sequence (same rng) and takes its
    part, so the global batch is the one a single process trains on."""
    k = train_set.images.shape[0]
    order: List[int] = []
    for _ in range(opts.steps):
        if len(order) < opts.batch_size:
            order += list(rng.permutation(k))
        idx, order = order[: opts.batch_size], order[opts.batch_size :]
        imgs, labs = train_set.images[idx], train_set.labels[idx]
        if opts.augment:
            imgs, labs = (augment_strong if opts.augment_mode == "strong" else augment_batch)(imgs, labs, rng)
        yield imgs, labs


def train(model: HSam, train_set: SliceSet, opts: TrainOptions, progress: Optional[ProgressFn] = None) -> Dict:
    """Train in place. Returns {"losses": [...], "seconds": float}."""
    torch.manual_seed(opts.seed)
    rng = np.random.default_rng(opts.seed)
    dev = torch.device(opts.device)
    params = set_trainable(model, opts.mode, opts.lora_rank)
    model.to(dev).train()
    opt = torch.optim.AdamW(params, lr=opts.lr, betas=(0.9, 0.999), weight_decay=opts.weight_decay)
    n = model.mask_decoder.num_mask_tokens
    k = train_set.images.shape[0]
    warmup = warmup_steps(opts)
    g4 = model.image_encoder.grid * 4
    losses: List[float] = []
    t0 = time.time()
    for it, (imgs, labs) in enumerate(global_batches(train_set, opts, rng)):
        imgs, labs = imgs.to(dev), labs.to(dev)
        epoch = it * opts.batch_size / k
        w = stage_weight(epoch)
        for group in opt.param_groups:
            group["lr"] = lr_at(it, opts.steps, opts.lr, warmup)
        out = model.decode(model.encode(to_input(imgs)), embedding_noise=opts.embedding_noise)
        lab1 = F.interpolate(labs[:, None].float(), size=(g4, g4), mode="nearest")[:, 0].long()
        loss = (1 - w) * stage_loss(out["logits1"], lab1, n) + w * stage_loss(out["logits2"], labs, n)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss))
        if progress:
            progress(progress_event(it, opts.steps, float(loss), group["lr"], t0))
    model.eval()
    return {"losses": losses, "seconds": time.time() - t0, "warmup": warmup}
