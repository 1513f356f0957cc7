"""int8 graph transform: weights per output column, the onnxruntime operator pattern,
and the quantized graph's arithmetic against a numpy reference (onnxruntime itself
runs the demo's int8 graphs in demo-model.test.ts)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from hsam import make_config
from hsam.quantize import int8_attention_blocks, quantize_model, quantize_weight
from onnx_numpy import run


def tiny_graph(rng):
    """x [2,5,16] -> MatMul W1 [16,24] -> Relu -> Gemm(transB) W2 [8,24] + b, on the flattened rows;
    a second MatMul shares x (one DynamicQuantizeLinear must serve both)."""
    w1 = rng.normal(size=(16, 24)).astype(np.float32) * rng.uniform(0.01, 3, size=24).astype(np.float32)
    w2 = rng.normal(size=(8, 24)).astype(np.float32)
    b2 = rng.normal(size=8).astype(np.float32)
    w3 = rng.normal(size=(16, 4)).astype(np.float32)
    b1 = rng.normal(size=24).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"], name="/mm1"),
        helper.make_node("Add", ["b1", "h0"], ["h"]),  # as torch exports a Linear's bias
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Reshape", ["r", "shape"], ["r2"]),
        helper.make_node("Gemm", ["r2", "w2", "b2"], ["y"], transB=1, name="/gemm"),
        helper.make_node("MatMul", ["x", "w3"], ["z"], name="/mm3"),
    ]
    inits = [
        numpy_helper.from_array(a, n)
        for a, n in [
            (w1, "w1"),
            (b1, "b1"),
            (w2, "w2"),
            (b2, "b2"),
            (w3, "w3"),
            (np.array([-1, 24], np.int64), "shape"),
        ]
    ]
    g = helper.make_graph(
        nodes,
        "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, 16])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [10, 8]),
            helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 5, 4]),
        ],
        inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), (w1, b1, w2, b2, w3)


def test_weights_are_int8_per_output_column():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(32, 6)).astype(np.float32) * np.array([1e-3, 0.1, 1, 10, 100, 0], np.float32)
    q, s = quantize_weight(w)
    assert q.dtype == np.int8 and s.shape == (6,)
    # each column uses the whole 7-bit range, never more (AVX2's int16 pair sums must not saturate)
    assert np.array_equal(np.abs(q).max(axis=0)[:5], [63] * 5)
    assert 255 * int(np.abs(q).max()) * 2 <= 32767
    assert np.all(np.abs(q[:, 5]) == 0)
    # per-column error at most half a step of that column (a per-tensor scale would zero column 0)
    assert np.all(np.abs(q * s - w) <= s / 2 + 1e-7)


def test_quantized_graph_uses_integer_operators_and_matches_numpy():
    rng = np.random.default_rng(1)
    model, (w1, b1, w2, b2, w3) = tiny_graph(rng)
    q, count = quantize_model(model)
    assert count == 3
    ops = [n.op_type for n in q.graph.node]
    assert "MatMul" not in ops and "Gemm" not in ops
    assert ops.count("DynamicQuantizeLinear") == 2  # x (shared by two products) and r2
    assert ops.count("MatMulInteger") == 3
    int8 = {t.name for t in q.graph.initializer if t.data_type == TensorProto.INT8}
    assert len(int8) == 3 and not {"w1", "w2", "w3"} & {t.name for t in q.graph.initializer}
    # the bias comes second, where onnxruntime folds it into DynamicQuantizeMatMul
    add = next(n for n in q.graph.node if n.op_type == "Add" and "b1" in n.input)
    assert list(add.input) == ["h0", "b1"]
    x = rng.normal(size=(2, 5, 16)).astype(np.float32)
    y, z = run(q, {"x": x})
    yf, zf = run(model, {"x": x})

    # exact integer arithmetic of the pattern, written out independently
    def dq(a):
        lo, hi = min(0.0, a.min()), max(0.0, a.max())
        s = np.float32((hi - lo) / 255)
        zp = np.clip(np.rint(-lo / s), 0, 255)
        return np.clip(np.rint(a / s) + zp, 0, 255) - zp, s

    xq, xs = dq(x)
    q1, s1 = quantize_weight(w1)
    h = np.maximum((xq @ q1) * xs * s1 + b1, 0).reshape(-1, 24)
    hq, hs = dq(h)
    q2, s2 = quantize_weight(w2.T)
    np.testing.assert_allclose(y, (hq @ q2) * hs * s2 + b2, rtol=1e-5, atol=1e-5)
    q3, s3 = quantize_weight(w3)
    np.testing.assert_allclose(z, (xq @ q3) * xs * s3, rtol=1e-5, atol=1e-5)
    # and the int8 result stays close to fp32 (relative to the output range)
    assert np.abs(z - zf).max() < 0.02 * np.abs(zf).max()
    assert np.abs(y - yf).max() < 0.03 * np.abs(yf).max()


def test_small_products_can_stay_fp32():
    model, _ = tiny_graph(np.random.default_rng(2))
    q, count = quantize_model(model, min_elements=16 * 24)
    assert count == 1
    assert [n.op_type for n in q.graph.node].count("MatMul") == 1
    onnx.checker.check_model(q)


def attention_graph():
    """Two blocks' attention cores as the encoder export writes them: softmax(q' Transpose(k')) v,
    block 0 global (its names under attn/), block 1 windowed."""
    nodes, inputs = [], []
    for i, scope in ((0, "/image_encoder/blocks.0/attn/"), (1, "/image_encoder/blocks.1/")):
        q, k, v = f"q{i}", f"k{i}", f"v{i}"
        inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, [3, 40, 12]) for n in (q, k, v)]
        nodes += [
            helper.make_node("Transpose", [k], [f"kt{i}"], perm=[0, 2, 1], name=scope + "Transpose_9"),
            helper.make_node("MatMul", [q, f"kt{i}"], [f"a{i}"], name=scope + "MatMul_2"),
            helper.make_node("Softmax", [f"a{i}"], [f"p{i}"], axis=-1, name=scope + "Softmax"),
            helper.make_node("MatMul", [f"p{i}", v], [f"y{i}"], name=scope + "MatMul_3"),
        ]
    outputs = [
        helper.make_tensor_value_info(f"{n}{i}", TensorProto.FLOAT, [3, 40, w])
        for i in (0, 1)
        for n, w in (("a", 40), ("y", 12))
    ]
    g = helper.make_graph(nodes, "attn", inputs, outputs)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_attention_logits_go_int8_in_the_listed_blocks_only_and_match_numpy():
    model = attention_graph()
    q, count = quantize_model(model, attention_blocks=[0])
    assert count == 0  # no weight products here
    ops = [n.op_type for n in q.graph.node]
    assert ops.count("MatMulInteger") == 1 and ops.count("DynamicQuantizeLinear") == 1
    # block 0's float transpose of k' is gone (k' is transposed as int8); block 1 keeps its own
    assert [n.name for n in q.graph.node if n.op_type == "Transpose" and n.input[0].startswith("k")] == [
        "/image_encoder/blocks.1/Transpose_9"
    ]
    assert {n.name for n in q.graph.node if n.op_type == "MatMul"} == {
        "/image_encoder/blocks.0/attn/MatMul_3",
        "/image_encoder/blocks.1/MatMul_2",
        "/image_encoder/blocks.1/MatMul_3",
    }
    rng = np.random.default_rng(3)
    feeds = {f"{n}{i}": rng.normal(size=(3, 40, 12)).astype(np.float32) for i in (0, 1) for n in "qkv"}
    feeds["k0"][..., 8:] = np.tile(np.eye(4, dtype=np.float32), (3, 10, 1))  # one-hot columns, as k' has
    a0, y0, a1, y1 = run(q, feeds)
    fa0, fy0, fa1, fy1 = run(model, feeds)
    np.testing.assert_array_equal(a1, fa1)  # block 1 untouched
    np.testing.assert_array_equal(y1, fy1)

    # the integer arithmetic written out: q' uint8 per tensor, k' 7-bit symmetric per tensor
    x = feeds["q0"]
    lo, hi = min(0.0, x.min()), max(0.0, x.max())
    xs = np.float32((hi - lo) / 255)
    xz = np.clip(np.rint(-lo / xs), 0, 255)
    xq = np.clip(np.rint(x / xs) + xz, 0, 255) - xz
    k = feeds["k0"]
    ks = np.float32(np.abs(k).max() / 63)
    kq = np.rint(k / ks)
    assert np.abs(kq).max() == 63  # never more: AVX2's int16 pair sums must not saturate
    np.testing.assert_allclose(a0, (xq @ kq.transpose(0, 2, 1)) * (xs * ks), rtol=1e-5, atol=1e-4)
    assert 0 < np.abs(a0 - fa0).max() < 0.02 * np.abs(fa0).max()
    assert np.abs(y0 - fy0).max() < 0.05 * np.abs(fy0).max()


def test_an_attention_block_not_found_is_an_error():
    with pytest.raises(ValueError, match=r"blocks \[0, 5\] expected, found \[0\]"):
        quantize_model(attention_graph(), attention_blocks=[0, 5])


def test_int8_attention_blocks_are_those_with_many_keys():
    vit_b = dict(depth=12, global_attn_indexes=[2, 5, 8, 11], window_size=14)
    assert int8_attention_blocks(dict(vit_b, img_size=512)) == [2, 5, 8, 11]  # 32 x 32 = 1,024 keys
    assert int8_attention_blocks(dict(vit_b, img_size=224)) == []  # 14 x 14 = 196 keys
    # the demo's config, and an HSamConfig by attribute
    assert int8_attention_blocks(make_config("tiny", img_size=224)) == []
    assert int8_attention_blocks(make_config("tiny", img_size=512)) == [1, 3]


def test_the_exported_encoders_global_attention_is_found(tmp_path):
    """The pass finds its products by the exporter's node names: on a real export at 512 (32 x 32
    tokens), the two global blocks' products and no other."""
    from hsam.build import build_hsam
    from hsam.export import export_onnx

    cfg = make_config("tiny", img_size=512)
    export_onnx(build_hsam(cfg).eval(), str(tmp_path))
    encoder = onnx.load(str(tmp_path / "encoder.onnx"))
    q, count = quantize_model(encoder, attention_blocks=int8_attention_blocks(cfg))
    assert count == 16  # 4 blocks x (qkv, proj, lin1, lin2)
    integer = [n for n in q.graph.node if n.op_type == "MatMulInteger"]
    weights = {t.name for t in q.graph.initializer}
    assert sorted(n.name for n in integer if n.input[1] not in weights) == [
        "image_encoder_blocks.1_attn_MatMul_2_int8_mm",
        "image_encoder_blocks.3_attn_MatMul_2_int8_mm",
    ]
