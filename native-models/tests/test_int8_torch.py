"""The int8 encoder's arithmetic in PyTorch (hsam/int8_torch.py), which the trainer uses to state a
fine-tuned model's int8 Dice: a Linear against the quantized graph run by an ONNX interpreter, and
the demo's held-out Dice against the figures onnxruntime-node measured for its card
(demo-int8.test.ts checks those against onnxruntime)."""

import json
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from test_quantize import run

from hsam.card import SYNAPSE_CLASSES
from hsam.checkpoint import load_ours
from hsam.commands.demo_eval_set import demo_eval_set
from hsam.demo import default_data_dir
from hsam import make_config
from hsam.build import build_hsam
from hsam.int8_torch import (
    encoder_linears,
    int8_attention,
    int8_dice_change,
    int8_encoder,
    int8_linear_forward,
    int8_logits_product,
)
from hsam.quantize import int8_attention_blocks, quantize_model

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models", "demo")


def linear_graph(lin: torch.nn.Linear):
    """x [3,7,K] -> MatMul(x, W^T) -> Add(bias, .), as torch exports a Linear."""
    w = lin.weight.detach().numpy().T.copy()
    b = lin.bias.detach().numpy().copy()
    k, n = w.shape
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"], name="/lin"), helper.make_node("Add", ["b", "h"], ["y"])],
        "lin",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 7, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 7, n])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_a_linear_computes_what_its_int8_graph_computes():
    torch.manual_seed(0)
    lin = torch.nn.Linear(48, 20)
    with torch.no_grad():
        lin.weight.mul_(torch.linspace(0.01, 5, 20)[:, None])  # very different column ranges
    q, count = quantize_model(linear_graph(lin))
    assert count == 1
    for shift in (0.0, 3.0):  # an input with negative values, and one that is all positive
        x = torch.randn(3, 7, 48) + shift
        (want,) = run(q, {"x": x.numpy()})
        with torch.no_grad():
            got = int8_linear_forward(lin)(x).numpy()
            fp = lin(x).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
        assert np.abs(got - fp).max() > 0  # it is not the fp32 product


def test_the_replaced_layers_are_the_int8_graphs_integer_products_and_are_restored():
    model, _, _ = load_ours(os.path.join(DEMO, "model.pt"))
    graph = onnx.load(os.path.join(DEMO, "encoder.int8.onnx")).graph
    assert sum(n.op_type == "MatMulInteger" for n in graph.node) == len(encoder_linears(model)) == 16
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        before = model.encode(x)
        with int8_encoder(model) as replaced:
            quant = model.encode(x)
        after = model.encode(x)
    assert replaced == 16
    assert torch.equal(before, after) and not torch.equal(before, quant)


def test_demo_held_out_dice_matches_what_onnxruntime_measured(tmp_path):
    with open(os.path.join(DEMO, "model.json")) as f:
        card = json.load(f)
    measured = card["variants"]["int8"]["measured"]["heldOutDice"]
    meta = demo_eval_set(default_data_dir(), str(tmp_path))
    k, s = meta["count"], meta["size"]
    images = torch.from_numpy(np.fromfile(tmp_path / "image.bin", dtype=np.float32).reshape(k, s, s))
    labels = torch.from_numpy(np.fromfile(tmp_path / "labels.bin", dtype=np.uint8).reshape(k, s, s).astype(np.int64))
    model, _, _ = load_ours(os.path.join(DEMO, "model.pt"))
    got = int8_dice_change(model, images, labels, SYNAPSE_CLASSES)
    assert got["slices"] == measured["slices"] == k
    assert got["fp32"] == card["quality"]["perClass"]
    assert set(got["int8"]) == set(measured["int8"])
    for name, d in measured["int8"].items():
        assert abs(got["int8"][name] - d) <= 0.002, (name, got["int8"][name], d)


def test_int8_logits_product_computes_what_the_int8_graph_computes():
    from test_quantize import attention_graph

    q, _ = quantize_model(attention_graph(), attention_blocks=[0])
    rng = np.random.default_rng(4)
    feeds = {f"{n}{i}": rng.normal(size=(3, 40, 12)).astype(np.float32) for i in (0, 1) for n in "qkv"}
    want = run(q, feeds)[0]
    got = int8_logits_product(torch.from_numpy(feeds["q0"]), torch.from_numpy(feeds["k0"])).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    assert np.abs(got - feeds["q0"] @ feeds["k0"].transpose(0, 2, 1)).max() > 0  # not the float product


def test_int8_attention_is_set_on_the_blocks_the_graph_quantizes_and_restored():
    cfg = make_config("tiny", img_size=512)
    model = build_hsam(cfg).eval()
    blocks = list(model.image_encoder.blocks)
    picked = [blocks.index(next(b for b in blocks if b.attn is a)) for a in int8_attention(model)]
    assert picked == int8_attention_blocks(cfg) == [1, 3]
    x = torch.randn(1, 3, 512, 512)
    with torch.no_grad():
        fp = model.encode(x)
        with int8_encoder(model):
            assert [b.attn.logits_product is not None for b in blocks] == [False, True, False, True]
            q = model.encode(x)
        assert all(b.attn.logits_product is None for b in blocks)
        again = model.encode(x)
    torch.testing.assert_close(again, fp)
    assert 0 < (q - fp).abs().max() < 0.1 * fp.abs().max()
