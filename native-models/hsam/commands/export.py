"""`hsam.py export`: our model.pt -> model folder."""

from __future__ import annotations

import os
import shutil
from typing import Any, Dict, Optional


from .. import card as cardlib
from ..checkpoint import load_ours
from ..model_folder import write_int8
from ..export import export_onnx


def export_checkpoint(
    checkpoint: str, out: str, name: Optional[str], version: Optional[str], command: str, int8: bool = False
) -> Dict[str, Any]:
    model, cfg, meta = load_ours(checkpoint)
    names = meta.get("classNames") or cardlib.default_class_names(cfg.num_classes)
    os.makedirs(out, exist_ok=True)
    dst = os.path.join(out, "model.pt")
    if os.path.abspath(checkpoint) != os.path.abspath(dst):
        shutil.copyfile(checkpoint, dst)
    export_onnx(model, out)
    write_int8(out, cfg, int8)
    c = cardlib.build_card(
        cfg,
        out,
        name or meta.get("name", "hsam"),
        version or meta.get("version", "0"),
        f"H-SAM {cfg.name} at {cfg.img_size}",
        names,
        {"source": os.path.basename(checkpoint), "command": command},
        meta.get("quality"),
    )
    cardlib.write_card(c, out)
    return c
