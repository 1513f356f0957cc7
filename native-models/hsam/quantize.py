"""int8 variant of an fp32 ONNX graph, written with python3-onnx alone
(onnxruntime's Python quantization tool is not installable here).

Every MatMul whose second input is a constant 2-D float matrix W [K, N], and
every Gemm (alpha = beta = 1) with a constant B, becomes the pattern
onnxruntime's quantize_dynamic writes, which its CPU provider fuses into the
integer kernel DynamicQuantizeMatMul (MatMulIntegerToFloat fusion):

  x ──DynamicQuantizeLinear──> xq uint8, xs, xz
  MatMulInteger(xq, Wq int8 [K, N], xz) ──Cast float──> acc
  acc * (xs * ws)  (+ bias for Gemm)

Weights: symmetric per output column in 7 bits, ws[n] = max|W[:, n]| / 63.
Activations: asymmetric uint8 per tensor, scale computed at run time over the
whole input (so over all slices of a batch). Convolutions stay fp32.

Why 7 bits ("reduce_range" in onnxruntime's tool): on x86 CPUs without VNNI
(AVX2 only, e.g. many AMD EPYC and older laptops) onnxruntime's u8 x s8 kernel
adds pairs of products in int16 (VPMADDUBSW), which saturates at 32767 when
255 * |w| * 2 exceeds it. With |w| <= 63 no pair can (255 * 63 * 2 = 32130), so
the integer sums are exact on every CPU and the labels do not depend on the
machine. Full 8-bit weights gave the demo spleen Dice 0.29 instead of 0.48 on
an AVX2-only EPYC while a VNNI Xeon was unaffected.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: Largest weight magnitude: 7 bits, so AVX2's int16 pair sums never saturate (see above).
WEIGHT_MAX = 63


def quantize_weight(w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """W float [K, N] -> (Wq int8 [K, N] in [-63, 63], scale float32 [N]) with W ≈ Wq * scale."""
    w = np.asarray(w, dtype=np.float32)
    amax = np.abs(w).max(axis=0)
    scale = np.where(amax > 0, amax / WEIGHT_MAX, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
    return q, scale


def _gemm_attrs(node: onnx.NodeProto) -> Dict[str, object]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def quantize_model(model: onnx.ModelProto, min_elements: int = 0) -> Tuple[onnx.ModelProto, int]:
    """Return (quantized copy of ``model``, number of matrix products converted).

    ``min_elements``: leave matrices with fewer weights than this in fp32 (the
    per-call cost of quantizing the activation outweighs tiny products)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    uses: Dict[str, int] = {}
    for n in g.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    new_nodes: List[onnx.NodeProto] = []
    new_inits: List[onnx.TensorProto] = []
    dropped: set = set()
    dq_of: Dict[str, Tuple[str, str, str]] = {}  # one DynamicQuantizeLinear per activation
    count = 0
    for node in g.node:
        plan = _plan(node, inits, min_elements)
        if plan is None:
            new_nodes.append(node)
            continue
        x, w, bias = plan
        count += 1
        base = (node.name or node.output[0]).replace("/", "_").strip("_") + "_int8"
        q, scale = quantize_weight(w)
        new_inits += [numpy_helper.from_array(q, base + "_W"), numpy_helper.from_array(scale, base + "_ws")]
        if x not in dq_of:
            dq_of[x] = (base + "_xq", base + "_xs", base + "_xz")
            new_nodes.append(helper.make_node("DynamicQuantizeLinear", [x], list(dq_of[x]), name=base + "_dq"))
        xq, xs, xz = dq_of[x]
        out = node.output[0]
        acc_out = out if bias is None else base + "_nobias"
        new_nodes += [
            helper.make_node("MatMulInteger", [xq, base + "_W", xz], [base + "_acc"], name=base + "_mm"),
            helper.make_node("Cast", [base + "_acc"], [base + "_accf"], to=TensorProto.FLOAT, name=base + "_cast"),
            helper.make_node("Mul", [xs, base + "_ws"], [base + "_scale"], name=base + "_scale"),
            helper.make_node("Mul", [base + "_accf", base + "_scale"], [acc_out], name=base + "_mul"),
        ]
        if bias is not None:
            new_nodes.append(helper.make_node("Add", [acc_out, bias], [out], name=base + "_bias"))
        for name in node.input[1:2]:
            uses[name] -= 1
            if uses[name] == 0:
                dropped.add(name)
    _bias_second(new_nodes, inits, {n.output[0] for n in new_nodes if n.name.endswith("_int8_mul")})
    del g.node[:]
    g.node.extend(new_nodes)
    kept = [t for t in g.initializer if t.name not in dropped]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    onnx.checker.check_model(m)
    return m, count


def _bias_second(nodes: List[onnx.NodeProto], inits: Dict[str, onnx.TensorProto], products: set) -> None:
    """torch exports a Linear's bias as Add(bias, x @ W); onnxruntime folds the bias into
    DynamicQuantizeMatMul only as Add(product, constant), so swap the (commutative) inputs."""
    for n in nodes:
        if n.op_type == "Add" and n.input[0] in inits and n.input[1] in products:
            a, b = n.input[0], n.input[1]
            n.input[0], n.input[1] = b, a


def _plan(
    node: onnx.NodeProto, inits: Dict[str, onnx.TensorProto], min_elements: int
) -> Optional[Tuple[str, np.ndarray, Optional[str]]]:
    """(activation name, W [K, N] float, bias name or None) when ``node`` is a product
    with a constant float weight matrix; None otherwise."""
    if node.op_type == "MatMul":
        t = inits.get(node.input[1])
        if t is None or t.data_type != TensorProto.FLOAT or len(t.dims) != 2:
            return None
        w = numpy_helper.to_array(t)
        return (node.input[0], w, None) if w.size >= min_elements else None
    if node.op_type == "Gemm":
        a = _gemm_attrs(node)
        if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
            return None
        t = inits.get(node.input[1])
        if t is None or t.data_type != TensorProto.FLOAT:
            return None
        w = numpy_helper.to_array(t)
        if a.get("transB", 0):
            w = w.T
        if w.size < min_elements:
            return None
        bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
        return node.input[0], np.ascontiguousarray(w), bias
    return None


def quantize_file(src: str, dst: str, min_elements: int = 0) -> int:
    """Write the int8 variant of ``src`` to ``dst``; return the products converted."""
    q, count = quantize_model(onnx.load(src), min_elements)
    onnx.save(q, dst)
    return count
