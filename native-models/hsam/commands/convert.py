"""`hsam.py convert`: official SAM + H-SAM checkpoints -> model folder."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional


from .. import card as cardlib
from ..checkpoint import load_official, lora_rank, load_tensors
from ..model_folder import write_model_folder
from .common import VIT


def convert(
    sam: str,
    hsam: str,
    vit: str,
    img_size: int,
    num_classes: Optional[int],
    out: str,
    name: str,
    version: str,
    class_names: Optional[List[str]],
    command: str,
    int8: bool = False,
) -> Dict[str, Any]:
    hsam_sd = load_tensors(hsam)
    model, cfg = load_official(sam, hsam_sd, VIT[vit], img_size, num_classes)
    names = class_names or cardlib.default_class_names(cfg.num_classes)
    return write_model_folder(
        model,
        cfg,
        out,
        name=name,
        version=version,
        description=f"H-SAM {cfg.name} at {cfg.img_size}, converted from the official checkpoints",
        class_names=names,
        provenance={
            "source": "official H-SAM checkpoint",
            "sam": os.path.basename(sam),
            "hsam": os.path.basename(hsam),
            "command": command,
        },
        meta={"loraRank": lora_rank(hsam_sd)},
        int8=int8,
    )
