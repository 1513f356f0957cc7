"""int8 graph transform: weights per output column, the onnxruntime operator pattern,
and the quantized graph's arithmetic against a numpy reference (onnxruntime itself
runs the demo's int8 graphs in demo-model.test.ts)."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from hsam.quantize import quantize_model, quantize_weight
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
