"""The slice graphs (preprocess.onnx, postprocess.onnx): valid ONNX with the app's signature, and,
run by a numpy interpreter of the ONNX operators they use, the same numbers as a torch reference
of the app's steps (torch's bilinear with align_corners=False is what H-SAM's code uses).
onnxruntime itself runs them against the JavaScript steps in slice-steps.test.ts."""

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

from hsam import card as cardlib
from hsam import build_hsam, make_config
from hsam.commands.quantize import quantize_folder
from hsam.export import graph_signature
from hsam.model_folder import write_model_folder
from hsam.slice_graphs import postprocess_model, preprocess_model, write_slice_graphs


def _bilinear(x, sizes):
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


def run(model, feeds):
    """A numpy interpreter of the operators the two graphs use (ONNX semantics)."""
    env = dict(feeds)
    env.update({t.name: numpy_helper.to_array(t) for t in model.graph.initializer})
    for n in model.graph.node:
        i = [env[k] if k else None for k in n.input]
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        op = n.op_type
        if op == "Gather":
            o = np.take(i[0], i[1], axis=a.get("axis", 0))
        elif op == "Clip":
            o = np.clip(i[0], i[1], i[2])
        elif op in ("Sub", "Div", "Mul", "Add", "Max", "Greater"):
            f = {"Sub": np.subtract, "Div": np.divide, "Mul": np.multiply, "Add": np.add}
            f.update({"Max": np.maximum, "Greater": np.greater})
            o = f[op](i[0], i[1])
        elif op in ("Exp", "Log", "Floor"):
            o = {"Exp": np.exp, "Log": np.log, "Floor": np.floor}[op](i[0])
        elif op == "Shape":
            o = np.array(i[0].shape, np.int64)
        elif op == "Slice":
            o = i[0][int(i[1][0]) : int(i[2][0])]
        elif op == "Concat":
            o = np.concatenate(i, axis=a["axis"])
        elif op == "Resize":
            assert a["mode"] == b"linear" and a["coordinate_transformation_mode"] == b"half_pixel"
            o = _bilinear(i[0], i[3])
        elif op == "ReduceMax":
            o = i[0].max(axis=tuple(a["axes"]), keepdims=bool(a["keepdims"]))
        elif op == "ReduceSum":
            o = i[0].sum(axis=tuple(int(v) for v in i[1]), keepdims=bool(a["keepdims"]))
        elif op == "Cast":
            o = i[0].astype({1: np.float32, 2: np.uint8}[a["to"]])
        elif op == "ArgMax":
            o = np.argmax(i[0], axis=a["axis"])
            o = np.expand_dims(o, a["axis"]) if a.get("keepdims", 1) else o
        elif op == "Squeeze":
            o = np.squeeze(i[0], axis=tuple(int(v) for v in i[1]))
        else:
            raise NotImplementedError(op)
        env[n.output[0]] = np.asarray(o)
    return [env[o.name] for o in model.graph.output]


def test_signatures(tmp_path):
    paths = write_slice_graphs(str(tmp_path))
    pre, post = graph_signature(paths["preprocess"]), graph_signature(paths["postprocess"])
    assert pre["inputs"] == {
        "slices": ("float32", ["batch", 1, "height", "width"]),
        "window": ("float32", [2]),
        "range": ("float32", [2]),
        "size": ("int64", [2]),
    }
    assert pre["outputs"] == {"image": ("float32", ["batch", 3, "size", "size"])}
    assert post["inputs"] == {"logits": ("float32", ["batch", "classes", "size", "size"]), "size": ("int64", [2])}
    assert post["outputs"] == {
        "labels": ("uint8", ["batch", "height", "width"]),
        "uncertainty": ("float32", ["batch"]),
        "entropy": ("uint8", ["batch", "height", "width"]),
    }
    # The app's steps only: no weights, so one file serves every model.
    assert all(t.dims in ([], [1], [3]) for t in postprocess_model().graph.initializer)


@pytest.mark.parametrize("hw", [(101, 122), (512, 512), (224, 224)])
def test_preprocess_matches_torch(hw):
    rng = np.random.default_rng(1)
    h, w = hw
    x = rng.uniform(-1100, 1500, size=(3, 1, h, w)).astype(np.float32)
    (image,) = run(
        preprocess_model(),
        {
            "slices": x,
            "window": np.array([-125, 275], np.float32),
            "range": np.array([0, 1], np.float32),
            "size": np.array([224, 224], np.int64),
        },
    )
    ref = F.interpolate(
        (torch.from_numpy(x).clamp(-125, 275) + 125) / 400, size=(224, 224), mode="bilinear", align_corners=False
    )
    assert image.shape == (3, 3, 224, 224)
    # torch places the taps in float32 (an ulp of a coordinate near 100 is 8e-6 pixel), the
    # interpreter in float64; on this noise (steep everywhere) that shows as up to ~5e-5.
    for c in range(3):
        np.testing.assert_allclose(image[:, c : c + 1], ref.numpy(), atol=1e-4)


@pytest.mark.parametrize("hw", [(101, 122), (512, 512), (224, 224)])
def test_postprocess_matches_torch(hw):
    rng = np.random.default_rng(2)
    h, w = hw
    n = 9
    logits = (rng.normal(size=(3, n, 224, 224)) * 4).astype(np.float32)
    logits[2, 0] += 100  # slice 2: background everywhere, so its uncertainty is 0
    labels, uncertainty, entropy_bytes = run(
        postprocess_model(), {"logits": logits, "size": np.array([h, w], np.int64)}
    )

    t = torch.from_numpy(logits)
    ref_labels = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False).argmax(1)
    q = t.softmax(1)
    entropy = (-(q * t.log_softmax(1)).sum(1, keepdim=True) / np.log(n)).clamp(0, 1)
    entropy = F.interpolate(entropy, size=(h, w), mode="bilinear", align_corners=False)[:, 0]
    fg = ref_labels > 0
    ref_u = [float(entropy[k][fg[k]].mean()) if fg[k].any() else 0.0 for k in range(3)]

    assert labels.dtype == np.uint8 and labels.shape == (3, h, w)
    assert (labels == ref_labels.numpy()).mean() > 0.9999
    np.testing.assert_allclose(uncertainty, ref_u, atol=1e-5)
    assert uncertainty[2] == 0
    # The per-pixel entropy as a byte: round(255 H), one step of slack for rounding at .5.
    assert entropy_bytes.dtype == np.uint8 and entropy_bytes.shape == (3, h, w)
    ref_bytes = np.floor(entropy.numpy() * 255 + 0.5)
    assert np.abs(entropy_bytes.astype(int) - ref_bytes).max() <= 1
    assert entropy_bytes[2].max() == 0 and entropy_bytes[0].max() > 128


def test_every_written_folder_lists_them_and_quantize_adds_them_to_older_folders(tmp_path):
    torch.manual_seed(0)
    cfg = make_config("tiny", img_size=224, num_classes=8)
    out = str(tmp_path / "model")
    card = write_model_folder(
        build_hsam(cfg), cfg, out, name="m", version="1", description="random",
        class_names=cardlib.SYNAPSE_CLASSES, provenance={"source": "test"}, checkpoint=False,
    )  # fmt: skip
    for key, name in (("preprocess", "preprocess.onnx"), ("postprocess", "postprocess.onnx")):
        assert card["files"][key] == cardlib.file_entry(os.path.join(out, name))
    # A folder written before the graphs existed: quantize brings them (and int8), the card lists them.
    for name in ("preprocess.onnx", "postprocess.onnx"):
        os.remove(os.path.join(out, name))
    for key in ("preprocess", "postprocess"):
        del card["files"][key]
    cardlib.write_card(card, out)
    assert "preprocess" not in cardlib.read_card(out)["files"]
    quantized = quantize_folder(out, "hsam.py quantize")
    assert quantized["files"]["postprocess"] == cardlib.file_entry(os.path.join(out, "postprocess.onnx"))
    assert quantized["files"]["preprocess"] == cardlib.file_entry(os.path.join(out, "preprocess.onnx"))
    assert quantized["variants"]["int8"]["encoder"]["path"] == "encoder.int8.onnx"
