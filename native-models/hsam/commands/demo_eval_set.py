"""`hsam.py demo-eval-set`: the demo's slices as raw .bin files (the demo tests)."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional, Sequence

import numpy as np


from ..data import resize_pair
from ..demo import DEFAULT_SOURCES, HELD_OUT, volumes


def demo_eval_set(
    data_dir: str, out: str, sources: Optional[Sequence[str]] = None, all_slices: bool = False
) -> Dict[str, Any]:
    """Demo slices as the model sees them: image.bin float32 [K,S,S] (the
    3-channel repeat is left to the caller) and labels.bin uint8 [K,S,S].
    By default the held-out slices of the shipped demo's sources (its card's
    quality); ``all_slices`` takes every slice (e.g. of the unseen DICOM series)."""

    sources = DEFAULT_SOURCES if sources is None else sources
    s = 224
    imgs, labs, names = [], [], []

    for vol_name, (img, lab) in volumes(data_dir, sources).items():
        for z in range(img.shape[0]) if all_slices else HELD_OUT[vol_name]:
            im, lb = resize_pair(img[z], lab[z], s)
            imgs.append(im.numpy())
            labs.append(lb.numpy().astype(np.uint8))
            names.append(f"{vol_name}_z{z:03d}.npz")
    os.makedirs(out, exist_ok=True)
    np.stack(imgs).astype(np.float32).tofile(os.path.join(out, "image.bin"))
    np.stack(labs).astype(np.uint8).tofile(os.path.join(out, "labels.bin"))
    meta = {"size": s, "count": len(names), "slices": names}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta
