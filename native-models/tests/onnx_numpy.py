"""A numpy interpreter of the ONNX operators our generated graphs use (the int8 transform's and
the slice graphs'), with ONNX semantics: the tests check those graphs' arithmetic against numpy
and torch references without onnxruntime (onnxruntime-node runs them in the vitest suites)."""

import functools

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def bilinear(x, sizes):
    """ONNX Resize linear, half_pixel, edges clamped (as onnxruntime), on the last two axes."""
    out = x
    for axis, n_out in ((2, int(sizes[2])), (3, int(sizes[3]))):
        n_in = out.shape[axis]
        src = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        w = (src - lo).astype(np.float32)
        shape = [1] * out.ndim
        shape[axis] = n_out
        a, b = np.take(out, lo, axis=axis), np.take(out, hi, axis=axis)
        out = a + (b - a) * w.reshape(shape)
    return out


def _dynamic_quantize_linear(x):
    lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
    s = np.float32((hi - lo) / 255)
    zp = np.uint8(np.clip(np.rint(-lo / s), 0, 255))
    return [np.clip(np.rint(x / s) + zp, 0, 255).astype(np.uint8), s, zp]


_BINARY = {
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": np.divide,
    "Greater": np.greater,
}
_UNARY = {
    "Exp": np.exp,
    "Log": np.log,
    "Floor": np.floor,
    "Abs": np.abs,
    "Neg": np.negative,
    "Round": np.rint,  # half to even, as ONNX's Round
    "Relu": lambda x: np.maximum(x, 0),
}
_CAST = {TensorProto.FLOAT: np.float32, TensorProto.UINT8: np.uint8, TensorProto.INT8: np.int8}


def _node(op, i, a):
    """The outputs of one node: inputs ``i`` (None for an empty name), attributes ``a``."""
    if op in _BINARY:
        return [_BINARY[op](i[0], i[1])]
    if op == "Max":  # variadic
        return [functools.reduce(np.maximum, i)]
    if op in _UNARY:
        return [_UNARY[op](i[0])]
    if op == "MatMul":
        return [i[0] @ i[1]]
    if op == "Gemm":
        return [i[0] @ (i[1].T if a.get("transB") else i[1]) + i[2]]
    if op == "DynamicQuantizeLinear":
        return _dynamic_quantize_linear(i[0])
    if op == "MatMulInteger":
        return [(i[0].astype(np.int32) - np.int32(i[2])) @ i[1].astype(np.int32)]
    if op == "Cast":
        return [i[0].astype(_CAST[a["to"]])]
    if op == "Reshape":
        return [i[0].reshape(i[1])]
    if op == "Gather":
        return [np.take(i[0], i[1], axis=a.get("axis", 0))]
    if op == "Clip":
        return [np.clip(i[0], i[1], i[2])]
    if op == "Shape":
        return [np.array(i[0].shape, np.int64)]
    if op == "Slice":
        return [i[0][int(i[1][0]) : int(i[2][0])]]
    if op == "Concat":
        return [np.concatenate(i, axis=a["axis"])]
    if op == "Resize":
        assert a["mode"] == b"linear" and a["coordinate_transformation_mode"] == b"half_pixel"
        return [bilinear(i[0], i[3])]
    if op in ("ReduceMax", "ReduceMin"):
        axes = tuple(a["axes"]) if "axes" in a else None
        f = np.max if op == "ReduceMax" else np.min
        return [f(i[0], axis=axes, keepdims=bool(a.get("keepdims", 1)))]
    if op == "QuantizeLinear":  # per tensor: saturate(round(x / scale) + zero point), half to even
        info = np.iinfo(i[2].dtype)
        return [np.clip(np.rint(i[0] / i[1]) + i[2].astype(np.int32), info.min, info.max).astype(i[2].dtype)]
    if op == "Transpose":
        return [np.transpose(i[0], a["perm"])]
    if op == "Softmax":
        e = np.exp(i[0] - i[0].max(axis=a.get("axis", -1), keepdims=True))
        return [e / e.sum(axis=a.get("axis", -1), keepdims=True)]
    if op == "ReduceSum":
        return [i[0].sum(axis=tuple(int(v) for v in i[1]), keepdims=bool(a["keepdims"]))]
    if op == "ArgMax":
        o = np.argmax(i[0], axis=a["axis"])
        return [np.expand_dims(o, a["axis"]) if a.get("keepdims", 1) else o]
    if op == "Squeeze":
        return [np.squeeze(i[0], axis=tuple(int(v) for v in i[1]))]
    raise NotImplementedError(f"unexpected operator {op}")


def run(model, feeds):
    """The graph's outputs for ``feeds`` (name -> array), in the graph's output order."""
    env = dict(feeds)
    env.update({t.name: numpy_helper.to_array(t) for t in model.graph.initializer})
    for n in model.graph.node:
        i = [env[k] if k else None for k in n.input]
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        env.update(zip(n.output, (np.asarray(o) for o in _node(n.op_type, i, a))))
    return [env[o.name] for o in model.graph.output]
