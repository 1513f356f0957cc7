"""`hsam.py quantize`: add encoder.int8.onnx (and the slice graphs) to an existing model folder."""

from __future__ import annotations

from typing import Any, Dict


from .. import card as cardlib
from ..model_folder import write_int8
from ..slice_graphs import write_slice_graphs


def quantize_folder(model_dir: str, command: str) -> Dict[str, Any]:
    """encoder.int8.onnx into an existing model folder; the card gains ``variants.int8`` (its
    fp32 files, quality and provenance are kept; a previous ``measured`` is dropped, as it
    described other graphs)."""
    card = cardlib.read_card(model_dir)
    write_int8(model_dir, card["architecture"]["config"])
    # Older folders gain the slice graphs too (the app then runs its slice steps in onnxruntime).
    write_slice_graphs(model_dir)
    card["files"].update(cardlib.slice_graph_files(model_dir))
    card.update(cardlib.variants(model_dir, card["architecture"]["config"]))
    card["variants"]["int8"]["command"] = command
    cardlib.write_card(card, model_dir)
    return card
