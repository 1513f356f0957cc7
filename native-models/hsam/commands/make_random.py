"""`hsam.py make-random`: random weights in the official two-file layout (tests, bench)."""

from __future__ import annotations

from typing import Optional

import torch

from ..build import make_config
from ..checkpoint import random_official
from .common import VIT


def make_random(
    size: str, img_size: Optional[int], num_classes: int, rank: int, seed: int, sam_out: str, hsam_out: str
) -> None:
    cfg = make_config(VIT.get(size, size), img_size=img_size, num_classes=num_classes)
    sam, hsam = random_official(cfg, rank=rank, seed=seed)
    torch.save(sam, sam_out)
    torch.save(hsam, hsam_out)
