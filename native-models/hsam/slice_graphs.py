"""The app's per-slice pre- and post-processing as two small ONNX graphs, so onnxruntime runs the
per-pixel loops (in C++, on every core, a batch per call) instead of JavaScript. Both are generic
(no weights, no sizes baked in): the same two files serve every model folder.

  preprocess.onnx
    slices  float32 [B, 1, H, W]  raw values of the slices (HU for CT), in the model's slice frame
    window  float32 [2]           the card's window [lo, hi]: values are clipped to it ...
    range   float32 [2]           ... and mapped linearly onto [r0, r1]
    size    int64   [2]           the model's input size [S, S]
    -> image float32 [B, 3, S, S] bilinear (half-pixel centres, as torch's align_corners=False),
                                  the plane copied into 3 channels: the encoder's input

  postprocess.onnx
    logits  float32 [B, N, S, S]  the decoder's logits
    size    int64   [2]           the slice size [H, W]
    -> labels      uint8   [B, H, W]  argmax over classes of the logits resized bilinearly to H x W
       uncertainty float32 [B]        mean over the pixels labelled foreground (label > 0) of the
                                      normalised entropy (0 certain, 1 uniform; computed at S x S,
                                      resized bilinearly to H x W); 0 for a slice with no foreground
       entropy     uint8   [B, H, W]  that resized entropy per pixel as floor(255 H + 0.5): the
                                      app's uncertainty overlay

The same steps as the JavaScript path (electron/services/inference/segment-volume.ts), which
remains for model folders written before these graphs existed.
"""

from __future__ import annotations

import os
from typing import Dict, List

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
PREPROCESS = "preprocess.onnx"
POSTPROCESS = "postprocess.onnx"

_F = TensorProto.FLOAT
_I64 = TensorProto.INT64


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def _resize(x: str, sizes: str, out: str) -> onnx.NodeProto:
    """Bilinear, half-pixel centres, edges clamped: torch's interpolate(align_corners=False)."""
    return helper.make_node(
        "Resize", [x, "", "", sizes], [out], mode="linear", coordinate_transformation_mode="half_pixel", name=out
    )


def _model(nodes: List[onnx.NodeProto], inputs, outputs, inits, name: str) -> onnx.ModelProto:
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hsam slice_graphs")
    onnx.checker.check_model(m, full_check=True)
    return m


def preprocess_model() -> onnx.ModelProto:
    """Window, scale, resize to S x S and copy into 3 channels (see the module doc)."""
    nodes = [
        helper.make_node("Gather", ["window", "i0"], ["w0"], axis=0),
        helper.make_node("Gather", ["window", "i1"], ["w1"], axis=0),
        helper.make_node("Gather", ["range", "i0"], ["r0"], axis=0),
        helper.make_node("Gather", ["range", "i1"], ["r1"], axis=0),
        helper.make_node("Clip", ["slices", "w0", "w1"], ["clipped"]),
        helper.make_node("Sub", ["r1", "r0"], ["rspan"]),
        helper.make_node("Sub", ["w1", "w0"], ["wspan"]),
        helper.make_node("Div", ["rspan", "wspan"], ["k"]),
        helper.make_node("Sub", ["clipped", "w0"], ["shifted"]),
        helper.make_node("Mul", ["shifted", "k"], ["scaled"]),
        helper.make_node("Add", ["r0", "scaled"], ["plane"]),
        helper.make_node("Shape", ["slices"], ["in_shape"]),
        helper.make_node("Slice", ["in_shape", "s0", "s2"], ["bc"]),
        helper.make_node("Concat", ["bc", "size"], ["sizes"], axis=0),
        _resize("plane", "sizes", "resized"),
        helper.make_node("Concat", ["resized", "resized", "resized"], ["image"], axis=1),
    ]
    inits = [
        _const("i0", np.array(0, np.int64)),
        _const("i1", np.array(1, np.int64)),
        _const("s0", np.array([0], np.int64)),
        _const("s2", np.array([2], np.int64)),
    ]
    inputs = [
        helper.make_tensor_value_info("slices", _F, ["batch", 1, "height", "width"]),
        helper.make_tensor_value_info("window", _F, [2]),
        helper.make_tensor_value_info("range", _F, [2]),
        helper.make_tensor_value_info("size", _I64, [2]),
    ]
    outputs = [helper.make_tensor_value_info("image", _F, ["batch", 3, "size", "size"])]
    return _model(nodes, inputs, outputs, inits, "hsam_preprocess")


def postprocess_model() -> onnx.ModelProto:
    """Entropy, resize to the slice, argmax, mean foreground entropy (see the module doc)."""
    nodes = [
        # Entropy of the softmax over the class axis, written out: onnxruntime's Softmax on a
        # middle axis transposes and runs one tiny row per pixel (~20x slower). One log per
        # pixel: H = log(sum e) - sum(e * d) / sum e, with d = x - max, e = exp(d).
        helper.make_node("ReduceMax", ["logits"], ["l_max"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["logits", "l_max"], ["d"]),
        helper.make_node("Exp", ["d"], ["e"]),
        helper.make_node("ReduceSum", ["e", "axis1"], ["e_sum"], keepdims=1),
        helper.make_node("Mul", ["e", "d"], ["ed"]),
        helper.make_node("ReduceSum", ["ed", "axis1"], ["ed_sum"], keepdims=1),
        helper.make_node("Div", ["ed_sum", "e_sum"], ["ed_mean"]),
        helper.make_node("Log", ["e_sum"], ["log_sum"]),
        helper.make_node("Sub", ["log_sum", "ed_mean"], ["h_nat"]),
        # Normalised by log N, clipped: rounding can take it a hair outside [0, 1].
        helper.make_node("Shape", ["logits"], ["l_shape"]),
        helper.make_node("Gather", ["l_shape", "i1"], ["n_int"], axis=0),
        helper.make_node("Cast", ["n_int"], ["n_float"], to=_F),
        helper.make_node("Log", ["n_float"], ["log_n"]),
        helper.make_node("Div", ["h_nat", "log_n"], ["h_raw"]),
        helper.make_node("Clip", ["h_raw", "zero", "one"], ["h_model"]),
        # Logits and entropy on the slice grid; labels = argmax of the resized logits (at the
        # model's size exactly the decoder's own labels).
        helper.make_node("Slice", ["l_shape", "s0", "s2"], ["bn"]),
        helper.make_node("Concat", ["bn", "size"], ["l_sizes"], axis=0),
        _resize("logits", "l_sizes", "logits_hw"),
        helper.make_node("Slice", ["l_shape", "s0", "s1"], ["b"]),
        helper.make_node("Concat", ["b", "s1", "size"], ["h_sizes"], axis=0),
        _resize("h_model", "h_sizes", "entropy_hw"),
        helper.make_node("ArgMax", ["logits_hw"], ["label64"], axis=1, keepdims=1),
        helper.make_node("Squeeze", ["label64", "axis1"], ["label_sq"]),
        helper.make_node("Cast", ["label_sq"], ["labels"], to=TensorProto.UINT8),
        # Mean entropy over the foreground; 0 when a slice has none (0 / max(0, 1)).
        helper.make_node("Greater", ["label64", "zero64"], ["fg_bool"]),
        helper.make_node("Cast", ["fg_bool"], ["fg"], to=_F),
        helper.make_node("Mul", ["entropy_hw", "fg"], ["fg_entropy"]),
        helper.make_node("ReduceSum", ["fg_entropy", "axes123"], ["h_sum"], keepdims=0),
        helper.make_node("ReduceSum", ["fg", "axes123"], ["fg_count"], keepdims=0),
        helper.make_node("Max", ["fg_count", "one"], ["denominator"]),
        helper.make_node("Div", ["h_sum", "denominator"], ["uncertainty"]),
        # The per-pixel entropy in one byte (the app keeps it per voxel, as it keeps the labels).
        helper.make_node("Squeeze", ["entropy_hw", "axis1"], ["entropy_sq"]),
        helper.make_node("Mul", ["entropy_sq", "c255"], ["entropy_255"]),
        helper.make_node("Add", ["entropy_255", "half"], ["entropy_half"]),
        helper.make_node("Floor", ["entropy_half"], ["entropy_floor"]),
        helper.make_node("Cast", ["entropy_floor"], ["entropy"], to=TensorProto.UINT8),
    ]
    inits = [
        _const("axis1", np.array([1], np.int64)),
        _const("axes123", np.array([1, 2, 3], np.int64)),
        _const("i1", np.array(1, np.int64)),
        _const("s0", np.array([0], np.int64)),
        _const("s1", np.array([1], np.int64)),
        _const("s2", np.array([2], np.int64)),
        _const("zero", np.array(0, np.float32)),
        _const("one", np.array(1, np.float32)),
        _const("zero64", np.array(0, np.int64)),
        _const("c255", np.array(255, np.float32)),
        _const("half", np.array(0.5, np.float32)),
    ]
    inputs = [
        helper.make_tensor_value_info("logits", _F, ["batch", "classes", "size", "size"]),
        helper.make_tensor_value_info("size", _I64, [2]),
    ]
    outputs = [
        helper.make_tensor_value_info("labels", TensorProto.UINT8, ["batch", "height", "width"]),
        helper.make_tensor_value_info("uncertainty", _F, ["batch"]),
        helper.make_tensor_value_info("entropy", TensorProto.UINT8, ["batch", "height", "width"]),
    ]
    return _model(nodes, inputs, outputs, inits, "hsam_postprocess")


def write_slice_graphs(out_dir: str) -> Dict[str, str]:
    """preprocess.onnx and postprocess.onnx into ``out_dir``; returns their paths."""
    paths = {"preprocess": os.path.join(out_dir, PREPROCESS), "postprocess": os.path.join(out_dir, POSTPROCESS)}
    onnx.save(preprocess_model(), paths["preprocess"])
    onnx.save(postprocess_model(), paths["postprocess"])
    return paths
