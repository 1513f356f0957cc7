"""What every command shares: JSON-lines progress on stdout, log lines on stderr, the card's
Dice report and the CLI's size names."""

from __future__ import annotations

import json
import sys

import numpy as np
from typing import Any, Dict, Optional, Sequence

import torch

from .. import distributed
from ..train import pooled_dice

VIT = {"b": "vit_b", "l": "vit_l", "h": "vit_h", "tiny": "tiny"}


def emit(event: Dict[str, Any]) -> None:
    """One JSON object per line on stdout, for the app's progress bar (torchrun: rank 0 only)."""
    if not distributed.is_main_process():
        return
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def dice_report(
    pred: torch.Tensor, gt: torch.Tensor, class_names: Sequence[str], slices: Sequence[str], notes: str = ""
) -> Optional[Dict[str, Any]]:
    """The card's ``quality``: per-class Dice pooled over the held-out slices.

    Classes absent from both prediction and ground truth have no Dice; they
    are left out of ``perClass`` and named in ``notes``. None if no class
    could be measured."""
    d = pooled_dice(pred, gt, len(class_names) + 1)
    per = {class_names[c - 1]: round(v, 4) for c, v in d.items() if v is not None}
    absent = [class_names[c - 1] for c, v in d.items() if v is None]
    if not per:
        return None
    extra = f" Not measurable (absent from held-out labels and predictions): {', '.join(absent)}." if absent else ""
    return {
        "metric": "Dice, pooled over held-out slices, at the model's input size (labels nearest-resized)",
        "heldOut": {"slices": list(slices), "count": len(slices)},
        "perClass": per,
        "mean": round(float(np.mean(list(per.values()))), 4),
        "notes": (notes + extra).strip(),
    }
