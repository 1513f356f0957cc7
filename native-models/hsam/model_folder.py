"""A model folder (model.pt, encoder.onnx, decoder.onnx, model.json and, with int8,
encoder.int8.onnx) written from a model in memory."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Sequence

from . import card as cardlib
from .build import HSamConfig
from .card import INT8_ENCODER
from .checkpoint import load_ours, save_ours
from .export import export_onnx
from .modeling.model import HSam
from .quantize import int8_attention_blocks, quantize_file


def write_model_folder(
    model: HSam,
    cfg: HSamConfig,
    out: str,
    *,
    name: str,
    version: str,
    description: str,
    class_names: Sequence[str],
    provenance: Dict[str, Any],
    quality: Optional[Dict[str, Any]] = None,
    half_checkpoint: bool = False,
    checkpoint: bool = True,
    orientation: Optional[str] = None,
    resize: Optional[str] = None,
    meta: Optional[Dict[str, Any]] = None,
    int8: bool = False,
) -> Dict[str, Any]:
    """model.pt (unless ``checkpoint=False``) + encoder.onnx + decoder.onnx + model.json;
    with ``int8`` also encoder.int8.onnx (see write_int8)."""
    os.makedirs(out, exist_ok=True)
    if checkpoint:
        save_ours(
            model,
            cfg,
            os.path.join(out, "model.pt"),
            meta=dict(meta or {}, classNames=list(class_names)),
            half=half_checkpoint,
        )
        if half_checkpoint:  # export exactly what a later load of model.pt gives
            model, _, _ = load_ours(os.path.join(out, "model.pt"))
    export_onnx(model, out)
    write_int8(out, cfg, int8)
    kw: Dict[str, Any] = {}
    if orientation:
        kw["orientation"] = orientation
    if resize:
        kw["resize"] = resize
    c = cardlib.build_card(cfg, out, name, version, description, class_names, provenance, quality, **kw)
    cardlib.write_card(c, out)
    return c


def write_int8(out: str, cfg: Any, enabled: bool = True) -> None:
    """encoder.int8.onnx beside encoder.onnx. The decoder stays fp32: its products are many and
    small (tokens, hypernetworks), so quantizing them did not pay (demo decoder 12.8 → 12.7 ms/slice
    at batch 8 in onnxruntime-node; ViT-B@512, all 136 products or only those of ≥ 16k or ≥ 64k
    weights: 118 → 119, 116, 114 ms/slice on an AVX2 EPYC, logits max |Δ| 5e-3 of 0.24 with random
    weights), and its logits feed the labels directly. On an AVX-512 VNNI EPYC all 136 products
    took ViT-B's decoder from 49 to 44 ms and the demo's (batch 4, one thread) from 20.3 to 18.6:
    about 1 % of ViT-B's int8 slice, measured and not taken. Measured again without the decoder's
    argmax: ViT-B 51.4 -> 46.2 ms, the demo 18.8 -> 17.1 ms a batch of 4. But an int8 decoder
    would have to run one slice per call, as the int8 encoder does (its activation scale is per
    call: a slice's labels must not depend on which slices share its batch), and the demo's int8
    decoder takes 4 x 5.7 ms for what the fp32 one does in 18.8 (its products are small and its
    calls' fixed cost is not). Again after the centred channel norms (export_forms.py), ViT-B@512
    on a Zen 5 EPYC: all 136 products 41.9 -> 37.2 ms, the 20 on image tokens 42.3 -> 39.8 ms;
    about 1 % of an int8 slice, still not taken.

    ``cfg`` (an HSamConfig or a card's architecture.config) says which blocks attend over enough
    tokens for their q.k product to pay in int8 (quantize.int8_attention_blocks)."""
    path = os.path.join(out, INT8_ENCODER)
    if enabled:
        quantize_file(os.path.join(out, "encoder.onnx"), path, attention_blocks=int8_attention_blocks(cfg))
    elif os.path.exists(path):  # a stale int8 graph of an earlier export would not match the new weights
        os.remove(path)
