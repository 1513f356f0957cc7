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

Attention's q.k product (the logits before the softmax) is quantized too in the
blocks that attend over many tokens (``int8_attention_blocks``: at least
ATTENTION_MIN_KEYS keys, e.g. ViT-B@512's four global blocks over 32x32 tokens).
Both operands are activations: q' (queries with their rel-pos terms, see
image_encoder.Attention.attend_folded) as uint8 per tensor, as above, and k'
(keys with their one-hot rel-pos columns) as int8 in 7 bits, symmetric, one
scale per tensor computed at run time, quantized before its transpose (a
quarter of the bytes to move):

  k' ──max(ReduceMax, -ReduceMin) / 63──> ks;  QuantizeLinear(k', ks, int8 0) ──Transpose──> kq
  MatMulInteger(q'q, kq, q'z) ──Cast float──> * (q's * ks)

(QuantizeLinear divides, rounds half to even and casts in one pass; the two reductions only read
k'. Before, Abs, ReduceMax, Div, Round and Cast took 1.7 ms of a global block, now 0.5 ms; the
same numbers, bit for bit.)

onnxruntime fuses this into DynamicQuantizeMatMul too. ViT-B@512's int8 encoder,
2 threads, fastest of 12 alternating runs: 352.6 -> 329.9 ms a slice. Measured
and left out: the windowed blocks' products (196 keys: 357 ms with all twelve
blocks, no gain over the global four; the demo's 196-key global blocks: 3.5 vs
3.7 ms a slice) and attention times v (the softmax's probabilities, mostly far
below 1/255 of the largest, do not survive a per-tensor uint8 scale). Accuracy on
real weights, forcing it on the demo's four blocks: held-out Dice per organ
within 0.0018 of the int8 encoder without it, labels 99.98 % the same as fp32.

Why 7 bits ("reduce_range" in onnxruntime's tool): on x86 CPUs without VNNI
(AVX2 only, e.g. many AMD EPYC and older laptops) onnxruntime's u8 x s8 kernel
adds pairs of products in int16 (VPMADDUBSW), which saturates at 32767 when
255 * |w| * 2 exceeds it. With |w| <= 63 no pair can (255 * 63 * 2 = 32130), so
the integer sums are exact on every CPU and the labels do not depend on the
machine. Full 8-bit weights gave the demo spleen Dice 0.29 instead of 0.48 on
an AVX2-only EPYC while a VNNI Xeon was unaffected.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: Largest weight magnitude: 7 bits, so AVX2's int16 pair sums never saturate (see above).
WEIGHT_MAX = 63

#: Fewest keys for which a block's q.k product runs in int8 (measured above: 1,024 pays, 196 not).
ATTENTION_MIN_KEYS = 512

#: SAM's patch size: the image encoder's token grid is img_size / 16 on a side.
PATCH = 16


def _field(cfg: Any, name: str) -> Any:
    return cfg[name] if isinstance(cfg, Mapping) else getattr(cfg, name)


def int8_attention_blocks(cfg: Any) -> List[int]:
    """The image-encoder blocks whose attention logits the int8 graph computes in int8: those with
    at least ATTENTION_MIN_KEYS keys. ``cfg``: an HSamConfig or a card's architecture.config."""
    grid = int(_field(cfg, "img_size")) // PATCH
    window = int(_field(cfg, "window_size"))
    glob = {int(i) for i in _field(cfg, "global_attn_indexes")}
    keys = [grid * grid if i in glob else window * window for i in range(int(_field(cfg, "depth")))]
    return [i for i, k in enumerate(keys) if k >= ATTENTION_MIN_KEYS]


def quantize_weight(w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """W float [K, N] -> (Wq int8 [K, N] in [-63, 63], scale float32 [N]) with W ≈ Wq * scale."""
    w = np.asarray(w, dtype=np.float32)
    amax = np.abs(w).max(axis=0)
    scale = np.where(amax > 0, amax / WEIGHT_MAX, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
    return q, scale


def _gemm_attrs(node: onnx.NodeProto) -> Dict[str, object]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def quantize_model(
    model: onnx.ModelProto, min_elements: int = 0, attention_blocks: Sequence[int] = ()
) -> Tuple[onnx.ModelProto, int]:
    """Return (quantized copy of ``model``, number of weight products converted).

    ``min_elements``: leave matrices with fewer weights than this in fp32 (the
    per-call cost of quantizing the activation outweighs tiny products).
    ``attention_blocks``: image-encoder blocks whose q.k product goes int8 too
    (int8_attention_blocks); each must be found, or this raises ValueError."""
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
    found = _quantize_attention_logits(m, attention_blocks)
    if sorted(found) != sorted(set(attention_blocks)):
        raise ValueError(
            f"attention products of blocks {sorted(set(attention_blocks))} expected, found {sorted(found)}"
        )
    onnx.checker.check_model(m)
    return m, count


def _quantize_attention_logits(m: onnx.ModelProto, blocks: Sequence[int]) -> List[int]:
    """In place: each listed block's MatMul(q', Transpose(k')) that feeds a Softmax becomes the
    integer pattern of the module doc. Returns the blocks converted."""
    if not blocks:
        return []
    g = m.graph
    producer = {o: n for n in g.node for o in n.output}
    consumers: Dict[str, List[str]] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n.op_type)
    inits = {t.name for t in g.initializer}
    wanted = set(blocks)
    found: List[int] = []
    replaced: set = set()
    nodes: List[onnx.NodeProto] = []
    for n in g.node:
        block = re.match(r"/image_encoder/blocks\.(\d+)/", n.name)
        t = producer.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) == 2 else None
        if (
            block is None
            or int(block.group(1)) not in wanted
            or t is None
            or t.op_type != "Transpose"
            or "Softmax" not in consumers.get(n.output[0], [])
            or n.input[0] in inits
            or t.input[0] in inits
        ):
            nodes.append(n)
            continue
        found.append(int(block.group(1)))
        replaced.add(n.input[1])
        b = n.name.replace("/", "_").strip("_") + "_int8"
        k = t.input[0]
        perm = list(helper.get_attribute_value(next(a for a in t.attribute if a.name == "perm")))
        nodes += [
            helper.make_node("ReduceMax", [k], [b + "_khi"], keepdims=0, name=b + "_khi"),
            helper.make_node("ReduceMin", [k], [b + "_klo"], keepdims=0, name=b + "_klo"),
            helper.make_node("Neg", [b + "_klo"], [b + "_knlo"], name=b + "_knlo"),
            # An all-zero k' would divide by zero: any scale then gives kq = 0.
            helper.make_node(
                "Max", [b + "_khi", b + "_knlo", "int8_attention_tiny"], [b + "_kmaxp"], name=b + "_kmaxp"
            ),
            helper.make_node("Div", [b + "_kmaxp", "int8_attention_wmax"], [b + "_ks"], name=b + "_ks"),
            helper.make_node("QuantizeLinear", [k, b + "_ks", "int8_attention_zero"], [b + "_kq"], name=b + "_kq"),
            helper.make_node("Transpose", [b + "_kq"], [b + "_kqt"], perm=perm, name=b + "_kqt"),
            helper.make_node("DynamicQuantizeLinear", [n.input[0]], [b + "_xq", b + "_xs", b + "_xz"], name=b + "_dq"),
            helper.make_node("MatMulInteger", [b + "_xq", b + "_kqt", b + "_xz"], [b + "_acc"], name=b + "_mm"),
            helper.make_node("Cast", [b + "_acc"], [b + "_accf"], to=TensorProto.FLOAT, name=b + "_cast"),
            helper.make_node("Mul", [b + "_xs", b + "_ks"], [b + "_scale"], name=b + "_scale"),
            helper.make_node("Mul", [b + "_accf", b + "_scale"], [n.output[0]], name=b + "_mul"),
        ]
    if found:
        g.initializer.extend(
            [
                numpy_helper.from_array(np.array(WEIGHT_MAX, np.float32), "int8_attention_wmax"),
                numpy_helper.from_array(np.array(1e-30, np.float32), "int8_attention_tiny"),
                numpy_helper.from_array(np.array(0, np.int8), "int8_attention_zero"),
            ]
        )
    # The float transposes of k' that only fed the replaced products go.
    used = {i for x in nodes for i in x.input} | {o.name for o in g.output}
    unused = replaced - used
    del g.node[:]
    g.node.extend(x for x in nodes if not (x.op_type == "Transpose" and x.output[0] in unused))
    return found


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


def quantize_file(src: str, dst: str, min_elements: int = 0, attention_blocks: Sequence[int] = ()) -> int:
    """Write the int8 variant of ``src`` to ``dst``; return the weight products converted."""
    q, count = quantize_model(onnx.load(src), min_elements, attention_blocks)
    onnx.save(q, dst)
    return count
