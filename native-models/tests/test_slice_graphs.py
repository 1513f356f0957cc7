"""The slice graphs (preprocess.onnx, postprocess.onnx): valid ONNX with the app's signature, and,
run by a numpy interpreter of the ONNX operators they use, the same numbers as a torch reference
of the app's steps (torch's bilinear with align_corners=False is what H-SAM's code uses).
onnxruntime itself runs them against the JavaScript steps in slice-steps.test.ts."""

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hsam import card as cardlib
from hsam import build_hsam, make_config
from hsam.commands.quantize import quantize_folder
from hsam.export import graph_signature
from hsam.model_folder import write_model_folder
from hsam.slice_graphs import postprocess_model, preprocess_model, write_slice_graphs
from onnx_numpy import run


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
