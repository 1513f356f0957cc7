"""ONNX graphs: checker, contract (names, dtypes, shapes, dynamic batch), no dead weights."""

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from hsam.checkpoint import load_official
from hsam.export import export_onnx, graph_signature


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_official):
    cfg, sam, hsam = tiny_official
    model, cfg = load_official(sam, hsam, "tiny", 224)
    out = str(tmp_path_factory.mktemp("onnx"))
    paths = export_onnx(model, out)
    return cfg, model, paths


def test_graphs_pass_checker_and_match_contract(exported):
    cfg, _, paths = exported
    for p in paths.values():
        onnx.checker.check_model(p)
    enc, dec = graph_signature(paths["encoder"]), graph_signature(paths["decoder"])
    assert enc["opset"] == 17 and dec["opset"] == 17
    assert enc["inputs"] == {"image": ("float32", ["batch", 3, 224, 224])}
    assert enc["outputs"] == {"embeddings": ("float32", ["batch", 128, 14, 14])}
    assert dec["inputs"] == {"embeddings": ("float32", ["batch", 128, 14, 14])}
    # No labels: the app's argmax is postprocess.onnx's, after resizing to the slice.
    assert dec["outputs"] == {"logits": ("float32", ["batch", 9, 224, 224])}
    assert "ArgMax" not in {n.op_type for n in onnx.load(paths["decoder"]).graph.node}
    # LayerNorm2d squares by a product: onnxruntime's Pow is slower than its Mul.
    assert all("Pow" not in {n.op_type for n in onnx.load(paths[g]).graph.node} for g in ("encoder", "decoder"))
    # Every LayerNorm2d follows a convolution whose output is centred (export_forms.py): no channel
    # means are taken (the transformers' token norms are LayerNormalization nodes).
    assert all("ReduceMean" not in {n.op_type for n in onnx.load(paths[g]).graph.node} for g in ("encoder", "decoder"))


def test_decoder_has_no_dead_branch_and_no_index_writes(exported):
    cfg, model, paths = exported
    m = onnx.load(paths["decoder"])
    ops = {n.op_type for n in m.graph.node}
    assert not ops & {"ScatterND", "NonZero", "Loop"}
    shapes = [tuple(numpy_helper.to_array(t).shape) for t in m.graph.initializer]
    # The CMAttn modules (196-wide here) and the IoU heads are not in the graph.
    assert (cfg.dead_width, cfg.dead_width) not in shapes
    n_values = sum(int(np.prod(s)) for s in shapes)
    sd = model.state_dict()
    decoders = sum(v.numel() for k, v in sd.items() if k.startswith(("mask_decoder.", "mask_decoder2.")))
    dead_prefixes = (
        "mask_decoder.iou_prediction_head",
        "mask_decoder2.iou_prediction_head",
        "mask_decoder2.med_sel",
        "mask_decoder2.self_attn",
        "mask_decoder2.norm",
        "mask_decoder2.mlp.",
    )
    dead = sum(
        v.numel()
        for k, v in sd.items()
        if k.startswith(dead_prefixes)
        or any(
            f"{a}.norm{j}." in k for a in ("cross_attn_token_to_image", "cross_attn_image_to_token") for j in (1, 2, 3)
        )
    )
    baked = 2 * cfg.transformer_dim * cfg.grid * cfg.grid  # PE and the dense embedding as constants
    assert dead > 0.1 * decoders
    assert n_values <= decoders - dead + baked + 1000  # + small folded constants


def test_lora_is_folded_into_the_encoder_graph(exported, tiny_official):
    cfg, model, paths = exported
    m = onnx.load(paths["encoder"])
    shapes = [tuple(t.dims) for t in m.graph.initializer]
    assert (5, cfg.embed_dim) not in shapes and (cfg.embed_dim, 5) not in shapes
    n_values = sum(int(np.prod(s)) for s in shapes)
    enc = sum(v.numel() for k, v in model.state_dict().items() if k.startswith("image_encoder."))
    assert n_values <= enc * 1.01
