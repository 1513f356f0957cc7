"""model.json: the model card the workstation reads next to the ONNX files.

Fields (format "hsam-model-card/1"):
  name, version, description
  architecture   {family, size, config (HSamConfig), loraRank}
  input          {name, dtype, shape, size, layout}
  preprocessing  per modality: {window, scale, range, orientation, resize}
  outputs        {embeddings, logits}: name, dtype, shape, meaning (cards written before
                 the decoder lost its argmax also list labels)
  classes        [{index, name, color [r,g,b]}], index 0 = background
  files          {encoder, decoder, checkpoint?, preprocess?, postprocess?}: {path, bytes, sha256};
                 preprocess/postprocess are the app's slice steps as graphs (slice_graphs.py)
  provenance     {source, command, trainingSet?, parent?, created, ...}; a fine-tuned model also
                 has baseline: the parent's held-out Dice {perClass, mean, model, ...} on the
                 same slices as quality
  quality        {metric, heldOut, perClass, mean, notes} or null when unmeasured
  variants?      {int8: {encoder, decoder, weights, activations, device, measured}}: other graphs
                 for the same model; the app runs int8 on the CPU (decoder may be the fp32 file)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from typing import Any, Dict, List, Optional, Sequence

from .build import HSamConfig
from .slice_graphs import POSTPROCESS, PREPROCESS
from .quantize import ATTENTION_MIN_KEYS, int8_attention_blocks

CARD_FORMAT = "hsam-model-card/1"
INT8_ENCODER = "encoder.int8.onnx"

# Synapse multi-organ order used by H-SAM (docs/HSAM.md section 2).
SYNAPSE_CLASSES = ["spleen", "kidney_right", "kidney_left", "gallbladder", "liver", "stomach", "aorta", "pancreas"]
# Distinct, colour-blind-friendlier colours per Synapse organ.
SYNAPSE_COLORS = {
    "spleen": [157, 108, 162],
    "kidney_right": [185, 102, 83],
    "kidney_left": [230, 159, 0],
    "gallbladder": [0, 158, 115],
    "liver": [221, 130, 101],
    "stomach": [86, 180, 233],
    "aorta": [213, 40, 40],
    "pancreas": [240, 228, 66],
}
_FALLBACK = [[0, 114, 178], [204, 121, 167], [0, 158, 115], [230, 159, 0], [86, 180, 233], [213, 94, 0]]

CT_PREPROCESSING = {
    "window": [-125, 275],
    "scale": "(clip(hu, -125, 275) + 125) / 400",
    "range": [0.0, 1.0],
}


def default_class_names(num_classes: int) -> List[str]:
    return list(SYNAPSE_CLASSES) if num_classes == 8 else [f"class_{i}" for i in range(1, num_classes + 1)]


def class_table(names: Sequence[str]) -> List[Dict[str, Any]]:
    rows = [{"index": 0, "name": "background", "color": [0, 0, 0]}]
    for i, n in enumerate(names, start=1):
        rows.append({"index": i, "name": n, "color": SYNAPSE_COLORS.get(n, _FALLBACK[(i - 1) % len(_FALLBACK)])})
    return rows


def file_entry(path: str) -> Dict[str, Any]:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return {"path": os.path.basename(path), "bytes": os.path.getsize(path), "sha256": h.hexdigest()}


def build_card(
    cfg: HSamConfig,
    out_dir: str,
    name: str,
    version: str,
    description: str,
    class_names: Sequence[str],
    provenance: Dict[str, Any],
    quality: Optional[Dict[str, Any]] = None,
    orientation: str = "nibabel vol[:, :, z].T of the volume as stored (rows = 2nd voxel axis, columns = 1st)",
    resize: str = "none: slices must already be SxS",
    lora_rank: int = 0,
) -> Dict[str, Any]:
    s, g, n = cfg.img_size, cfg.grid, cfg.num_outputs
    if len(class_names) != cfg.num_classes:
        raise ValueError(f"{len(class_names)} class names for {cfg.num_classes} classes")
    files = {
        "encoder": file_entry(os.path.join(out_dir, "encoder.onnx")),
        "decoder": file_entry(os.path.join(out_dir, "decoder.onnx")),
    }
    if os.path.exists(os.path.join(out_dir, "model.pt")):
        files["checkpoint"] = file_entry(os.path.join(out_dir, "model.pt"))
    files.update(slice_graph_files(out_dir))
    return {
        "format": CARD_FORMAT,
        "name": name,
        "version": version,
        "description": description,
        "architecture": {"family": "H-SAM", "size": cfg.name, "config": cfg.to_dict(), "loraRank": lora_rank},
        "input": {
            "name": "image",
            "dtype": "float32",
            "shape": ["batch", 3, s, s],
            "size": s,
            "layout": "one grayscale slice copied into all 3 channels; no mean/std normalisation",
        },
        "preprocessing": {
            "CT": dict(CT_PREPROCESSING, orientation=slice_orientation(orientation), resize=resize),
        },
        "outputs": {
            "embeddings": {
                "dtype": "float32",
                "shape": ["batch", cfg.transformer_dim, g, g],
                "meaning": "image embedding E, input of decoder.onnx; cache per slice",
            },
            "logits": {
                "dtype": "float32",
                "shape": ["batch", n, s, s],
                "meaning": (
                    "(bilinear-upsampled stage-1 logits + stage-2 logits) / 2, before softmax; channel = class index"
                ),
            },
        },
        "classes": class_table(class_names),
        "files": files,
        "provenance": dict(provenance, created=provenance.get("created") or now_iso()),
        "quality": quality,
        **variants(out_dir, cfg),
    }


def slice_graph_files(out_dir: str) -> Dict[str, Any]:
    """The card's ``files.preprocess`` and ``files.postprocess`` when the folder has both slice
    graphs (slice_graphs.py); the app does these steps in JavaScript for a card without them."""
    paths = {"preprocess": os.path.join(out_dir, PREPROCESS), "postprocess": os.path.join(out_dir, POSTPROCESS)}
    if not all(os.path.exists(p) for p in paths.values()):
        return {}
    return {k: file_entry(p) for k, p in paths.items()}


def variants(out_dir: str, cfg: Any) -> Dict[str, Any]:
    """The card's ``variants`` when the folder has an int8 encoder (``measured`` is filled in by
    whoever measured it: speed and accuracy come from onnxruntime, which only the app side has).
    ``cfg``: the model's HSamConfig or architecture.config."""
    enc = os.path.join(out_dir, INT8_ENCODER)
    if not os.path.exists(enc):
        return {}
    attention = int8_attention_blocks(cfg)
    activations = "uint8, asymmetric, one scale per tensor computed at run time (DynamicQuantizeLinear)"
    if attention:
        activations += (
            f"; the attention logits' product q'.k'^T of encoder blocks {attention} (>= {ATTENTION_MIN_KEYS} keys) in"
            " int8 too: q' as above, k' int8 in 7 bits, symmetric, one scale per tensor computed at run time"
        )
    return {
        "variants": {
            "int8": {
                "encoder": file_entry(enc),
                "decoder": file_entry(os.path.join(out_dir, "decoder.onnx")),
                "device": "cpu",
                "weights": (
                    "int8 held in 7 bits ([-63, 63], exact on AVX2 CPUs without VNNI), symmetric,"
                    " one scale per output channel (MatMul/Gemm with constant weights)"
                ),
                "activations": activations,
                "measured": None,
            }
        }
    }


def slice_orientation(orientation: Any) -> Dict[str, str]:
    """The card's machine-readable slice orientation: which patient direction (DICOM letters)
    the model's column index and row index increase toward. The workstation reorients every
    volume into this frame before inference. A plain string is taken as the description of the
    default frame, nibabel's closest canonical (RAS+) ``vol[:, :, z].T``: columns toward R, rows
    toward A."""
    if isinstance(orientation, dict):
        return orientation
    return {"columns": "R", "rows": "A", "description": orientation}


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def write_card(card: Dict[str, Any], out_dir: str) -> str:
    path = os.path.join(out_dir, "model.json")
    with open(path, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    return path


def read_card(model_dir: str) -> Dict[str, Any]:
    with open(os.path.join(model_dir, "model.json")) as f:
        card = json.load(f)
    if card.get("format") != CARD_FORMAT:
        raise ValueError(f"{model_dir}/model.json is not a {CARD_FORMAT} card")
    return card
