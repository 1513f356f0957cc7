"""Data-parallel fine-tuning when started by torchrun (RANK, WORLD_SIZE, LOCAL_RANK set).

``torchrun --nproc-per-node K hsam.py finetune ...`` (or ``python3 -m torch.distributed.run``)
starts K copies; each joins one process group (gloo on CPU, NCCL on CUDA, one GPU per local
rank) and trains a DistributedDataParallel copy of the model on its contiguous part of every
global batch (batch_size / K slices; batch_size must be a multiple of K).

The step computes the same loss as one process on the whole batch, not an average of per-rank
losses: H-SAM's Dice pools its sums over the batch and the stage-2 noise is scaled by the
batch's embedding range, so those sums, the cross-entropy sum and the range are all-reduced
with a differentiable sum. Every rank then holds the global loss, each rank's gradient is K
times its share of the global gradient, and DDP's mean over ranks gives the global gradient.
Every rank draws the global batch and its noise from the same seeded generators and keeps its
slice, so K processes follow one process's loss curve up to float summation order.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.nn.functional import all_reduce
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel

from .data import SliceSet
from .modeling.model import HSam
from .train import (
    ProgressFn,
    TrainOptions,
    global_batches,
    lr_at,
    progress_event,
    set_trainable,
    stage_weight,
    to_input,
    warmup_steps,
)


@dataclass(frozen=True)
class Rank:
    rank: int
    world_size: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def rank_from_env(env: Mapping[str, str] = os.environ) -> Optional[Rank]:
    """The torchrun rank of this process; None for a plain (single) process or a world of 1."""
    if "RANK" not in env or "WORLD_SIZE" not in env:
        return None
    r = Rank(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", env["RANK"])))
    return r if r.world_size > 1 else None


def is_main_process(env: Mapping[str, str] = os.environ) -> bool:
    """True except on torchrun ranks other than 0 (which print no progress and write no model)."""
    r = rank_from_env(env)
    return r is None or r.is_main


def check_batch(rank: Rank, batch_size: int) -> None:
    """Raises ValueError when the global batch cannot be split evenly over the processes."""
    if batch_size % rank.world_size:
        raise ValueError(
            f"--batch-size {batch_size} is not a multiple of the {rank.world_size} processes; "
            f"use a multiple of {rank.world_size} so every process takes an equal part"
        )


def start(rank: Rank, device: str) -> str:
    """Join the process group; returns this rank's device ("cpu" or "cuda:<local rank>")."""
    if device.startswith("cuda"):
        torch.cuda.set_device(rank.local_rank)
        dist.init_process_group("nccl")
        return f"cuda:{rank.local_rank}"
    dist.init_process_group("gloo")
    return "cpu"


def stop() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _sum(t: torch.Tensor) -> torch.Tensor:
    """Differentiable sum over ranks (backward sums the gradients over ranks too)."""
    return all_reduce(t, op=dist.ReduceOp.SUM)


def global_stage_loss(logits: torch.Tensor, target: torch.Tensor, n: int, global_batch: int) -> torch.Tensor:
    """train.stage_loss over the global batch from this rank's part: 0.1 * CE (mean over every
    pixel of the global batch) + 0.9 * soft Dice with its sums pooled over the global batch."""
    ce = _sum(F.cross_entropy(logits, target, reduction="sum")) / (global_batch * target[0].numel())
    p = logits.softmax(dim=1)
    t = F.one_hot(target, n).permute(0, 3, 1, 2).float()
    sums = _sum(torch.stack([(p * t).sum(dim=(0, 2, 3)), (p * p).sum(dim=(0, 2, 3)), (t * t).sum(dim=(0, 2, 3))]))
    dice = (1 - (2 * sums[0] + 1e-5) / (sums[1] + sums[2] + 1e-5)).mean()
    return 0.1 * ce + 0.9 * dice


class _GlobalBatchDropout(nn.Module):
    """nn.Dropout whose mask is drawn for the whole global batch (dim 0), this rank's rows kept:
    the mask one process would draw, and the generator advanced as far as one process's."""

    def __init__(self, p: float, global_batch: int, part: slice) -> None:
        super().__init__()
        self.p, self.global_batch, self.part = p, global_batch, part

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        ones = torch.ones((self.global_batch, *x.shape[1:]), dtype=x.dtype, device=x.device)
        return x * F.dropout(ones, self.p, training=True)[self.part]


def _swap_dropout(model: nn.Module, make) -> List:
    """Replace every nn.Dropout by make(p); returns what to put back (parent, name, module)."""
    swapped = []
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Dropout):
                swapped.append((parent, name, child))
                setattr(parent, name, make(child.p))
    return swapped


class _Step(nn.Module):
    """The training forward as one module call, so DDP's gradient hooks see it."""

    def __init__(self, model: HSam, embedding_noise: float) -> None:
        super().__init__()
        self.model = model
        self.embedding_noise = embedding_noise

    def forward(self, x: torch.Tensor, noise_fn) -> Dict[str, torch.Tensor]:
        return self.model.decode(self.model.encode(x), embedding_noise=self.embedding_noise, noise_fn=noise_fn)


def train_ddp(
    model: HSam, train_set: SliceSet, opts: TrainOptions, rank: Rank, progress: Optional[ProgressFn] = None
) -> Dict:
    """train.train, data-parallel over the process group (start() first). Same result dict;
    ``progress`` is called on rank 0 only. The model is trained in place on every rank."""
    torch.manual_seed(opts.seed)
    b = opts.batch_size // rank.world_size
    part = slice(rank.rank * b, (rank.rank + 1) * b)
    params = set_trainable(model, opts.mode, opts.lora_rank)
    model.to(opts.device).train()
    swapped = _swap_dropout(model, lambda p: _GlobalBatchDropout(p, opts.batch_size, part))
    try:
        return _train_ddp(model, train_set, opts, rank, params, part, progress)
    finally:
        for parent, name, module in swapped:
            setattr(parent, name, module)


def _train_ddp(model, train_set, opts, rank, params, part, progress) -> Dict:
    dev = torch.device(opts.device)
    step = DistributedDataParallel(
        _Step(model, opts.embedding_noise),
        device_ids=[dev.index] if dev.type == "cuda" else None,
        broadcast_buffers=False,
        find_unused_parameters=True,
    )
    opt = torch.optim.AdamW(params, lr=opts.lr, betas=(0.9, 0.999), weight_decay=opts.weight_decay)
    rng = np.random.default_rng(opts.seed)
    n = model.mask_decoder.num_mask_tokens
    k = train_set.images.shape[0]
    warmup = warmup_steps(opts)
    g4 = model.image_encoder.grid * 4
    losses: List[float] = []
    t0 = time.time()
    for it, (imgs, labs) in enumerate(global_batches(train_set, opts, rng)):
        imgs, labs = imgs[part].to(dev), labs[part].to(dev)

        def noise_fn(emb: torch.Tensor) -> torch.Tensor:
            # One process draws randn_like(E) for the whole batch: draw it, keep this rank's rows.
            z = torch.randn((opts.batch_size, *emb.shape[1:]), dtype=emb.dtype, device=emb.device)[part]
            ends = torch.zeros(2 * rank.world_size, dtype=emb.dtype, device=emb.device)
            ends = ends.index_put(
                (torch.tensor([2 * rank.rank, 2 * rank.rank + 1], device=emb.device),),
                torch.stack([emb.max(), emb.min()]),
            )
            ends = _sum(ends)
            return z * opts.embedding_noise * (ends[0::2].max() - ends[1::2].min())

        w = stage_weight(it * opts.batch_size / k)
        for group in opt.param_groups:
            group["lr"] = lr_at(it, opts.steps, opts.lr, warmup)
        out = step(to_input(imgs), noise_fn)
        lab1 = F.interpolate(labs[:, None].float(), size=(g4, g4), mode="nearest")[:, 0].long()
        loss = (1 - w) * global_stage_loss(out["logits1"], lab1, n, opts.batch_size) + w * global_stage_loss(
            out["logits2"], labs, n, opts.batch_size
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss))
        if progress and rank.is_main:
            progress(progress_event(it, opts.steps, float(loss), group["lr"], t0, processes=rank.world_size))
    model.eval()
    return {"losses": losses, "seconds": time.time() - t0, "warmup": warmup}
