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
import re
import uuid
import zipfile
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


# The manifest as common/contract/training-set.ts defines it (zod; JSON Schema in
# native-models/schemas/trainset-manifest.schema.json): field name -> required. Unknown keys are
# allowed, as zod strips them. tests/test_trainset_fixtures.py keeps these in step with the schema.
MANIFEST_FIELDS = {"format": True, "id": True, "created": True, "modality": True, "classes": True, "slices": True}
CLASS_FIELDS = {"index": True, "name": True}
SLICE_FIELDS = {
    "file": True,
    "study": True,
    "studyName": False,
    "sliceIndex": True,
    "proposedBy": True,
    "time": True,
    "correctedClasses": True,
    "status": False,
}
SLICE_STATUS = ("corrected", "reviewed")
_NPZ_NAME = re.compile(r"[^/\\]+\.npz")
_MAX_SAFE_INT = 2**53 - 1  # zod's int(): a JavaScript safe integer


class _Invalid(ValueError):
    """A manifest rule broken at ``path`` (dotted, as zod reports it)."""

    def __init__(self, path: Sequence[Any], message: str):
        super().__init__(f"{'.'.join(str(p) for p in path)}: {message}")


def _int(v: Any, path: Sequence[Any], lo: int = -_MAX_SAFE_INT, hi: int = _MAX_SAFE_INT) -> int:
    # JSON has one number type: 7.0 is the integer 7 to the workstation, so it is here too.
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer()
    if not ok or not lo <= v <= hi:
        raise _Invalid(path, f"must be a whole number from {lo} to {hi}, not {v!r}")
    return int(v)


def _str(v: Any, path: Sequence[Any], non_empty: bool = False) -> str:
    if not isinstance(v, str) or (non_empty and not v):
        raise _Invalid(path, f"must be a {'non-empty ' if non_empty else ''}string, not {v!r}")
    return v


def _obj(v: Any, path: Sequence[Any], fields: Dict[str, bool]) -> Dict[str, Any]:
    if not isinstance(v, dict):
        raise _Invalid(path, f"must be an object, not {v!r}")
    for key, required in fields.items():
        if required and key not in v:
            raise _Invalid([*path, key], "missing")
    return v


def _list(v: Any, path: Sequence[Any], min_len: int = 0) -> List[Any]:
    if not isinstance(v, list) or len(v) < min_len:
        raise _Invalid(path, f"must be a list of at least {min_len} items" if min_len else "must be a list")
    return v


def check_manifest(m: Any) -> None:
    """Raise ValueError("<path>: <problem>") for the first rule of hsam-trainset/1 ``m`` breaks.

    The rules of common/contract/training-set.ts: the format tag; id a non-empty string;
    created, modality strings; classes >= 2 of {index, name} with index i at position i and
    class 0 "background"; slices of {file: a .npz name without a path, study: str, studyName?:
    str, sliceIndex: int, proposedBy: {name, version} | null, time: str, correctedClasses: [int
    0..255], status?: corrected | reviewed}, no two with the same (study, sliceIndex).
    """
    if not isinstance(m, dict):
        raise ValueError(f"must be a JSON object, not {type(m).__name__}")
    if m.get("format") != SET_FORMAT:
        raise ValueError(f"format must be {SET_FORMAT!r}")
    for key, required in MANIFEST_FIELDS.items():
        if required and key not in m:
            raise ValueError(f"missing {key!r}")
    _str(m["id"], ["id"], non_empty=True)
    _str(m["created"], ["created"])
    _str(m["modality"], ["modality"])
    classes = _list(m["classes"], ["classes"], min_len=2)
    for i, c in enumerate(classes):
        _obj(c, ["classes", i], CLASS_FIELDS)
        _str(c["name"], ["classes", i, "name"], non_empty=True)
        if _int(c["index"], ["classes", i, "index"], lo=0) != i:
            raise _Invalid(["classes", i, "index"], f"expected index {i}, found {c['index']}")
    if classes[0]["name"] != "background":
        raise _Invalid(["classes", 0, "name"], "class 0 must be background")
    seen = set()
    for i, s in enumerate(_list(m["slices"], ["slices"])):
        at = ["slices", i]
        _obj(s, at, SLICE_FIELDS)
        if not _NPZ_NAME.fullmatch(_str(s["file"], [*at, "file"])):
            raise _Invalid([*at, "file"], "a .npz file name inside the set folder")
        study = _str(s["study"], [*at, "study"])
        if "studyName" in s:
            _str(s["studyName"], [*at, "studyName"])
        index = _int(s["sliceIndex"], [*at, "sliceIndex"])
        by = s["proposedBy"]
        if by is not None:
            _obj(by, [*at, "proposedBy"], {"name": True, "version": True})
            _str(by["name"], [*at, "proposedBy", "name"])
            _str(by["version"], [*at, "proposedBy", "version"])
        _str(s["time"], [*at, "time"])
        for j, c in enumerate(_list(s["correctedClasses"], [*at, "correctedClasses"])):
            _int(c, [*at, "correctedClasses", j], lo=0, hi=255)
        if "status" in s and s["status"] not in SLICE_STATUS:
            raise _Invalid([*at, "status"], f"must be one of {', '.join(SLICE_STATUS)}, not {s['status']!r}")
        if (study, index) in seen:
            raise _Invalid(at, f"slice {index} of study {study} is listed twice")
        seen.add((study, index))


def read_manifest(set_dir: str) -> Dict[str, Any]:
    """The set's manifest.json as a dict, checked by ``check_manifest``; ValueError naming the
    file and the first broken rule otherwise."""
    path = os.path.join(set_dir, "manifest.json")
    if not os.path.isfile(path):
        raise ValueError(f"{set_dir} is not a training set: it has no manifest.json")
    with open(path) as f:
        try:
            m = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{set_dir}/manifest.json is not valid JSON ({e})") from None
    try:
        check_manifest(m)
    except ValueError as e:
        raise ValueError(f"{set_dir}/manifest.json: {e}") from None
    return m


def resize_pair(image: np.ndarray, label: np.ndarray, size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    img = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    lab = torch.from_numpy(np.ascontiguousarray(label).astype(np.float32))[None, None]
    if img.shape[-2:] != (size, size):
        img = F.interpolate(img, size=(size, size), mode="bilinear", align_corners=False)
        lab = F.interpolate(lab, size=(size, size), mode="nearest")
    return img[0, 0], lab[0, 0].long()


def set_file(set_dir: str, name: str) -> str:
    """The path of a slice file a list names: a regular file inside the set folder, or a
    ValueError that says which name is refused and why (a list may name any path)."""
    root = os.path.realpath(set_dir)
    path = os.path.realpath(os.path.join(set_dir, name))
    if os.path.isabs(name) or os.path.commonpath([root, path]) != root:
        raise ValueError(
            f"the training set lists {name}, which is outside the set folder {set_dir}; "
            "a set may only list its own .npz files"
        )
    if not os.path.isfile(path):
        what = "is missing" if not os.path.exists(path) else "is not a regular file"
        raise ValueError(f"the training set lists {name}, which {what} in {set_dir}; export the slices again")
    return path


def load_slices(set_dir: str, names: Sequence[str], size: int, num_outputs: int) -> SliceSet:
    imgs, labs = [], []
    for name in names:
        try:
            with np.load(set_file(set_dir, name)) as z:
                image, label = z["image"], z["label"]
        except (OSError, KeyError, zipfile.BadZipFile, EOFError) as e:
            raise ValueError(
                f"{name} in {set_dir} is not a training slice this trainer can read "
                f"(an .npz with image and label arrays): {e}"
            ) from None
        if image.ndim != 2 or image.shape != label.shape:
            raise ValueError(f"{name}: image {image.shape} and label {label.shape} must be equal 2-D shapes")
        if label.max(initial=0) >= num_outputs:
            raise ValueError(f"{name}: label value {int(label.max())} >= number of model classes {num_outputs}")
        im, lb = resize_pair(image, label, size)
        imgs.append(im)
        labs.append(lb)
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
        np.savez_compressed(
            os.path.join(set_dir, s["file"]), image=s["image"].astype(np.float32), label=s["label"].astype(np.uint8)
        )
        rows.append(
            {
                "file": s["file"],
                "study": s.get("study", ""),
                "sliceIndex": int(s.get("sliceIndex", -1)),
                "proposedBy": s.get("proposedBy"),
                "time": s.get("time", now),
                "correctedClasses": list(s.get("correctedClasses", [])),
            }
        )
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
