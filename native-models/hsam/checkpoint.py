"""Checkpoints: the official two-file layout in, our single-file layout out.

Official layout (docs/HSAM.md section 3):
  * SAM base ``sam_vit_{b,l,h}_*.pth``: ``image_encoder.*`` at 1024 input
    (pos_embed [1,64,64,C], global rel-pos tables [127,hd]). Its
    ``prompt_encoder.*``/``mask_decoder.*`` are ignored: the official loader
    overwrites them with the H-SAM file's.
  * H-SAM ``epoch_*.pth``: ``w_a_{000..}`` [r,C] / ``w_b_{000..}`` [C,r]
    (index 2i = block i's q, 2i+1 = its v), ``prompt_encoder.*``,
    ``prompt_encoder2.*`` (an exact duplicate: the same module),
    ``mask_decoder.*`` and ``mask_decoder2.*``.

Both are plain dicts of tensors, read with ``torch.load(weights_only=True)``
so no pickled code runs. Conversion: resize pos_embed (bilinear) and the
global blocks' rel-pos tables (linear) to the target input size, fold LoRA
into qkv, take everything else from the H-SAM file, then load with strict key
matching: a missing, unexpected or mis-shaped key is an error.

Our layout (``model.pt``): {"format": FORMAT, "config": HSamConfig dict,
"state_dict": ..., "meta": {...}}, LoRA always folded.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch.nn import functional as F

from .build import OFFICIAL_DEAD_HEADS, HSamConfig, build_hsam, make_config
from .modeling.model import HSam

FORMAT = "hsam-workstation-checkpoint/1"
StateDict = Dict[str, torch.Tensor]
_LORA_RE = re.compile(r"^w_([ab])_(\d{3})$")


def load_tensors(path: str) -> StateDict:
    """Read a plain dict of tensors without executing pickled code."""
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a dict of tensors, got {type(obj).__name__}")
    return obj


# ---------------------------------------------------------------- resizing --
def resize_pos_embed(pos: torch.Tensor, grid: int) -> torch.Tensor:
    """[1, G, G, C] -> [1, grid, grid, C], bilinear, align_corners=False
    (for 64 -> 32 this equals 2x2 average pooling)."""
    if pos.shape[1] == grid and pos.shape[2] == grid:
        return pos.clone()
    x = F.interpolate(pos.permute(0, 3, 1, 2).float(), size=(grid, grid), mode="bilinear", align_corners=False)
    return x.permute(0, 2, 3, 1).contiguous()


def resize_rel_pos(table: torch.Tensor, rows: int) -> torch.Tensor:
    """[L, hd] -> [rows, hd] by linear interpolation along L, sampling
    src = max(0, (d + 0.5) * L / rows - 0.5) (bilinear on [1,1,L,hd],
    align_corners=False, the hd axis unchanged)."""
    if table.shape[0] == rows:
        return table.clone()
    x = F.interpolate(table[None, None].float(), size=(rows, table.shape[1]), mode="bilinear", align_corners=False)
    return x[0, 0].contiguous()


# -------------------------------------------------------------------- LoRA --
def lora_tensors(hsam_sd: StateDict, depth: int) -> List[Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Per block (A_q [r,C], B_q [C,r], A_v, B_v) from ``w_a_*``/``w_b_*``.

    The rank is read from the tensors (the paper says 4, the code uses 5 and
    the official loader accepts any)."""
    found = sorted(k for k in hsam_sd if _LORA_RE.match(k))
    expected = sorted(f"w_{ab}_{i:03d}" for ab in "ab" for i in range(2 * depth))
    if found != expected:
        raise ValueError(
            f"LoRA keys do not match a {depth}-block encoder: expected w_a/w_b 000..{2 * depth - 1:03d}, "
            f"found {len(found)} keys"
        )
    out = []
    for i in range(depth):
        aq, bq = hsam_sd[f"w_a_{2 * i:03d}"], hsam_sd[f"w_b_{2 * i:03d}"]
        av, bv = hsam_sd[f"w_a_{2 * i + 1:03d}"], hsam_sd[f"w_b_{2 * i + 1:03d}"]
        out.append((aq, bq, av, bv))
    return out


def lora_rank(hsam_sd: StateDict) -> int:
    return int(hsam_sd["w_a_000"].shape[0])


def fold_lora_into(enc_sd: StateDict, lora, dim: int) -> None:
    """W_qkv[0:C] += B_q A_q; W_qkv[2C:3C] += B_v A_v, in place."""
    for i, (aq, bq, av, bv) in enumerate(lora):
        key = f"image_encoder.blocks.{i}.attn.qkv.weight"
        w = enc_sd[key].clone()
        w[0:dim] += bq.float() @ aq.float()
        w[2 * dim : 3 * dim] += bv.float() @ av.float()
        enc_sd[key] = w


# -------------------------------------------------------------- conversion --
def config_from_checkpoints(
    vit: str, img_size: int, hsam_sd: StateDict, num_classes: Optional[int] = None
) -> HSamConfig:
    """Config for ``vit`` at ``img_size`` with N and the unused stage-2
    module sizes read from the H-SAM tensors (they are literal constants in
    the released code, so read rather than assume)."""
    n = int(hsam_sd["mask_decoder.mask_tokens.weight"].shape[0])
    if num_classes is not None and num_classes + 1 != n:
        raise ValueError(f"--num-classes {num_classes} but the checkpoint has {n} mask tokens (N = classes + 1)")
    t = "mask_decoder2.transformer2.layers.0.cross_attn_token_to_image"
    overrides: Dict[str, Any] = {}
    if "mask_decoder2.norm1.weight" in hsam_sd:
        width = int(hsam_sd["mask_decoder2.norm1.weight"].shape[0])
        if width not in OFFICIAL_DEAD_HEADS:
            raise ValueError(
                f"the checkpoint's stage-2 CMAttn is {width} wide; the official code builds it "
                f"{' or '.join(map(str, OFFICIAL_DEAD_HEADS))} wide (512 or 224 input), so its head count is unknown"
            )
        overrides["dead_width"] = width
        overrides["dead_heads"] = OFFICIAL_DEAD_HEADS[width]
    if "mask_decoder2.mlp.lin1.weight" in hsam_sd:
        overrides["dead_mlp_dim"] = int(hsam_sd["mask_decoder2.mlp.lin1.weight"].shape[0])
    if "mask_decoder2.med_sel.0.weight" in hsam_sd:
        overrides["med_sel_in"] = int(hsam_sd["mask_decoder2.med_sel.0.weight"].shape[1])
    if f"{t}.norm1.weight" in hsam_sd:
        overrides["masked_norm_sizes"] = [int(hsam_sd[f"{t}.norm{j}.weight"].shape[0]) for j in (1, 2, 3)]
    return make_config(vit, img_size=img_size, num_classes=n - 1, **overrides)


def official_to_ours(sam_sd: StateDict, hsam_sd: StateDict, cfg: HSamConfig, fold: bool = True) -> StateDict:
    """Build our state dict (LoRA folded when ``fold``) from the two official dicts."""
    enc = {k: v.float() for k, v in sam_sd.items() if k.startswith("image_encoder.")}
    if not enc:
        raise ValueError("the SAM checkpoint has no image_encoder.* tensors")
    enc["image_encoder.pos_embed"] = resize_pos_embed(enc["image_encoder.pos_embed"], cfg.grid)
    for i in range(cfg.depth):
        rows = 2 * cfg.grid - 1 if i in cfg.global_attn_indexes else 2 * cfg.window_size - 1
        for axis in ("h", "w"):
            key = f"image_encoder.blocks.{i}.attn.rel_pos_{axis}"
            if key in enc:
                enc[key] = resize_rel_pos(enc[key], rows)
    if fold:
        fold_lora_into(enc, lora_tensors(hsam_sd, cfg.depth), cfg.embed_dim)

    out: StateDict = dict(enc)
    unexpected = []
    for k, v in hsam_sd.items():
        if _LORA_RE.match(k):
            continue
        if k.startswith(("prompt_encoder.", "mask_decoder.", "mask_decoder2.")):
            out[k] = v.float()
        elif k.startswith("prompt_encoder2."):
            twin = hsam_sd.get("prompt_encoder." + k[len("prompt_encoder2.") :])
            if twin is None or twin.shape != v.shape or not torch.equal(twin, v):
                raise ValueError(f"{k} differs from its prompt_encoder twin; not an official H-SAM checkpoint")
        else:
            unexpected.append(k)
    if unexpected:
        raise ValueError(f"unexpected keys in the H-SAM checkpoint: {unexpected[:5]} ({len(unexpected)} in all)")
    return out


def load_official(
    sam_path_or_sd, hsam_path_or_sd, vit: str, img_size: int, num_classes: Optional[int] = None, fold: bool = True
) -> Tuple[HSam, HSamConfig]:
    """Build an HSam from the two official files with strict key matching.

    With ``fold=False`` the LoRA stays as separate parameters (used to test
    that folding does not change the output)."""
    sam_sd = load_tensors(sam_path_or_sd) if isinstance(sam_path_or_sd, str) else sam_path_or_sd
    hsam_sd = load_tensors(hsam_path_or_sd) if isinstance(hsam_path_or_sd, str) else hsam_path_or_sd
    cfg = config_from_checkpoints(vit, img_size, hsam_sd, num_classes)
    sd = official_to_ours(sam_sd, hsam_sd, cfg, fold=fold)
    model = build_hsam(cfg)
    model.load_state_dict(sd, strict=True)  # strict: every key and shape must match
    if not fold:
        model.image_encoder.enable_lora(lora_rank(hsam_sd))
        with torch.no_grad():
            for blk, (aq, bq, av, bv) in zip(model.image_encoder.blocks, lora_tensors(hsam_sd, cfg.depth)):
                blk.attn.lora_q_a.copy_(aq)
                blk.attn.lora_q_b.copy_(bq)
                blk.attn.lora_v_a.copy_(av)
                blk.attn.lora_v_b.copy_(bv)
    return model.eval(), cfg


# ------------------------------------------------------------- our format --
def save_ours(
    model: HSam, cfg: HSamConfig, path: str, meta: Optional[Dict[str, Any]] = None, half: bool = False
) -> None:
    """Save with LoRA folded. ``half`` stores float16 (used by the shipped
    demo to stay small); loading always returns float32."""
    model.image_encoder.fold_lora()
    sd = {
        k: (v.detach().half() if half and v.is_floating_point() else v.detach()).cpu().clone()
        for k, v in model.state_dict().items()
    }
    torch.save({"format": FORMAT, "config": cfg.to_dict(), "state_dict": sd, "meta": dict(meta or {})}, path)


def load_ours(path: str) -> Tuple[HSam, HSamConfig, Dict[str, Any]]:
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} checkpoint")
    cfg = HSamConfig.from_dict(obj["config"])
    model = build_hsam(cfg)
    model.load_state_dict({k: v.float() for k, v in obj["state_dict"].items()}, strict=True)
    return model.eval(), cfg, obj.get("meta", {})


# ---------------------------------------------------- random official files --
def random_official(cfg: HSamConfig, rank: int = 5, seed: int = 0) -> Tuple[StateDict, StateDict]:
    """Random weights in the official two-file layout, for tests.

    The SAM half is at SAM's 1024 training size (pos_embed [1,64,64,C],
    global rel-pos [127,hd]) so conversion exercises the resizing; position
    tables and LoRA B, zero in a fresh model, get small random values so
    every path carries data. A few SAM prompt/decoder keys are included, as
    in the real file, to show that conversion ignores them.
    """
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = build_hsam(cfg)
    sd = model.state_dict()
    base_grid = cfg.sam_img_size // 16
    hd = cfg.embed_dim // cfg.num_heads
    sam: StateDict = {}
    for k, v in sd.items():
        if not k.startswith("image_encoder."):
            continue
        if k == "image_encoder.pos_embed":
            v = 0.1 * torch.randn(1, base_grid, base_grid, cfg.embed_dim, generator=g)
        elif ".rel_pos_" in k:
            i = int(k.split(".")[2])
            rows = 2 * base_grid - 1 if i in cfg.global_attn_indexes else 2 * cfg.window_size - 1
            v = 0.1 * torch.randn(rows, hd, generator=g)
        elif k.endswith(".weight") and ("norm" in k or "neck.1" in k or "neck.3" in k):
            v = 1 + 0.1 * torch.randn(v.shape, generator=g)  # LayerNorm gains
        elif k.endswith(".bias"):
            v = 0.02 * torch.randn(v.shape, generator=g)
        sam[k] = v.clone()
    sam["prompt_encoder.point_embeddings.0.weight"] = torch.randn(1, cfg.transformer_dim, generator=g)
    sam["mask_decoder.mask_tokens.weight"] = torch.randn(4, cfg.transformer_dim, generator=g)

    hsam: StateDict = {}
    for i in range(2 * cfg.depth):
        # kaiming_uniform(a=sqrt(5)) as nn.Linear: U(-1/sqrt(C), 1/sqrt(C)).
        a = (2 * torch.rand(rank, cfg.embed_dim, generator=g) - 1) / cfg.embed_dim**0.5
        hsam[f"w_a_{i:03d}"] = a
        hsam[f"w_b_{i:03d}"] = 0.05 * torch.randn(cfg.embed_dim, rank, generator=g)
    for k, v in sd.items():
        if k.startswith(("prompt_encoder.", "mask_decoder.", "mask_decoder2.")):
            if k.endswith(".bias") and v.abs().sum() == 0:
                v = 0.02 * torch.randn(v.shape, generator=g)
            hsam[k] = v.clone()
    for k in [k for k in hsam if k.startswith("prompt_encoder.")]:
        hsam["prompt_encoder2." + k[len("prompt_encoder.") :]] = hsam[k].clone()
    return sam, hsam
