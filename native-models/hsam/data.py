"""Few-shot training sets: the format the workstation exports and the trainer reads.

A set is a folder:
  manifest.json   {"format": "hsam-trainset/1", "id", "created", "modality",
                   "classes": [{"index", "name"}], "slices": [{"file", "study",
                   "sliceIndex", "proposedBy": {"name", "version"} | null,
                   "time", "correctedClasses": [int]}]}
  train.txt       one .npz file name per line (relative to the folder)
  val.txt         optional: held-out slices; if absent the trainer holds out
                  every 5th listed slice (at least one when there are >= 2)
  *.npz           one slice each: ``image`` float32 [H, W], already
                  preprocessed to the model's input range (CT: windowed to
                  [0, 1], orientation as in the model card); ``label`` uint8
                  [H, W], class indices of the model card (the human's final
                  labels: proposals the user did not correct are still final).

Slices of any H x W are resized to the model's S x S (image bilinear,
align_corners=False; label nearest).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.nn import functional as F

SET_FORMAT = "hsam-trainset/1"


@dataclass
class SliceSet:
    """images float32 [K, S, S]; labels int64 [K, S, S]; names of the K files."""

    images: torch.Tensor
    labels: torch.Tensor
    names: List[str]


def read_list(path: str) -> List[str]:
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]


def read_manifest(set_dir: str) -> Dict[str, Any]:
    with open(os.path.join(set_dir, "manifest.json")) as f:
        m = json.load(f)
    if m.get("format") != SET_FORMAT:
        raise ValueError(f"{set_dir}/manifest.json: format must be {SET_FORMAT!r}")
    for key in ("id", "classes", "slices"):
        if key not in m:
            raise ValueError(f"{set_dir}/manifest.json: missing {key!r}")
    return m


def resize_pair(image: np.ndarray, label: np.ndarray, size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    img = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    lab = torch.from_numpy(np.ascontiguousarray(label).astype(np.float32))[None, None]
    if img.shape[-2:] != (size, size):
        img = F.interpolate(img, size=(size, size), mode="bilinear", align_corners=False)
        lab = F.interpolate(lab, size=(size, size), mode="nearest")
    return img[0, 0], lab[0, 0].long()


def load_slices(set_dir: str, names: Sequence[str], size: int, num_outputs: int) -> SliceSet:
    imgs, labs = [], []
    for name in names:
        with np.load(os.path.join(set_dir, name)) as z:
            image, label = z["image"], z["label"]
        if image.ndim != 2 or image.shape != label.shape:
            raise ValueError(f"{name}: image {image.shape} and label {label.shape} must be equal 2-D shapes")
        if label.max(initial=0) >= num_outputs:
            raise ValueError(f"{name}: label value {int(label.max())} >= number of model classes {num_outputs}")
        i, l = resize_pair(image, label, size)
        imgs.append(i)
        labs.append(l)
    return SliceSet(torch.stack(imgs), torch.stack(labs), list(names))


def split_set(set_dir: str) -> Tuple[List[str], List[str]]:
    train = read_list(os.path.join(set_dir, "train.txt"))
    val_path = os.path.join(set_dir, "val.txt")
    if os.path.exists(val_path):
        return train, read_list(val_path)
    if len(train) < 2:
        return train, []
    val = train[4::5] or train[-1:]
    return [n for n in train if n not in val], val


def write_set(
    set_dir: str,
    slices: Sequence[Dict[str, Any]],
    class_names: Sequence[str],
    modality: str = "CT",
    set_id: Optional[str] = None,
    val: Sequence[str] = (),
) -> Dict[str, Any]:
    """Write a set. Each slice dict: file, image (float32 HxW), label (uint8
    HxW), and manifest fields study, sliceIndex, proposedBy, correctedClasses."""
    os.makedirs(set_dir, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    rows = []
    for s in slices:
        np.savez_compressed(os.path.join(set_dir, s["file"]), image=s["image"].astype(np.float32),
                            label=s["label"].astype(np.uint8))
        rows.append({"file": s["file"], "study": s.get("study", ""), "sliceIndex": int(s.get("sliceIndex", -1)),
                     "proposedBy": s.get("proposedBy"), "time": s.get("time", now),
                     "correctedClasses": list(s.get("correctedClasses", []))})
    manifest = {
        "format": SET_FORMAT,
        "id": set_id or str(uuid.uuid4()),
        "created": now,
        "modality": modality,
        "classes": [{"index": i, "name": n} for i, n in enumerate(["background", *class_names])],
        "slices": rows,
    }
    with open(os.path.join(set_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    val_set = set(val)
    with open(os.path.join(set_dir, "train.txt"), "w") as f:
        f.writelines(r["file"] + "\n" for r in rows if r["file"] not in val_set)
    if val_set:
        with open(os.path.join(set_dir, "val.txt"), "w") as f:
            f.writelines(r["file"] + "\n" for r in rows if r["file"] in val_set)
    return manifest
