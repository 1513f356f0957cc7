"""Few-shot fine-tuning end to end through the CLI: JSON-lines progress,
falling loss, held-out Dice, and a loadable model folder."""

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

from hsam import build_hsam, make_config
from hsam.card import SYNAPSE_CLASSES, file_entry, read_card
from hsam.checkpoint import load_ours
from hsam.data import load_slices, read_manifest, split_set, write_set
from hsam.model_folder import write_model_folder

HSAM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hsam.py")


def synthetic_slice(rng, size=96):
    """A bright disc (class 5, 'liver') and a small dark square (class 1) on noise."""
    yy, xx = np.mgrid[:size, :size]
    img = 0.3 + 0.05 * rng.standard_normal((size, size))
    lab = np.zeros((size, size), np.uint8)
    cy, cx, r = rng.integers(30, 66), rng.integers(30, 66), rng.integers(14, 24)
    disc = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    img[disc] = 0.8
    lab[disc] = 5
    y0, x0 = rng.integers(2, 20, 2)
    img[y0 : y0 + 12, x0 : x0 + 12] = 0.05
    lab[y0 : y0 + 12, x0 : x0 + 12] = 1
    return img.astype(np.float32), lab


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    torch.manual_seed(0)
    cfg = make_config("tiny", img_size=224, num_classes=8)
    out = str(tmp_path_factory.mktemp("base"))
    write_model_folder(
        build_hsam(cfg),
        cfg,
        out,
        name="base",
        version="0.0.1",
        description="random",
        class_names=SYNAPSE_CLASSES,
        provenance={"source": "test"},
        meta={"name": "base"},
    )
    return out


@pytest.fixture(scope="module")
def base_model_int8(tmp_path_factory):
    """As base_model, with the int8 encoder variant its card offers."""
    torch.manual_seed(0)
    cfg = make_config("tiny", img_size=224, num_classes=8)
    out = str(tmp_path_factory.mktemp("base-int8"))
    write_model_folder(
        build_hsam(cfg),
        cfg,
        out,
        name="base",
        version="0.0.1",
        description="random",
        class_names=SYNAPSE_CLASSES,
        provenance={"source": "test"},
        meta={"name": "base"},
        int8=True,
    )
    return out


@pytest.fixture(scope="module")
def train_set(tmp_path_factory):
    rng = np.random.default_rng(0)
    d = str(tmp_path_factory.mktemp("set"))
    slices = []
    for i in range(6):
        img, lab = synthetic_slice(rng)
        slices.append(
            {
                "file": f"s{i}.npz",
                "image": img,
                "label": lab,
                "study": "synthetic",
                "sliceIndex": i,
                "proposedBy": {"name": "base", "version": "0.0.1"},
                "correctedClasses": [1, 5],
            }
        )
    write_set(d, slices, SYNAPSE_CLASSES, set_id="test-set-1", val=["s5.npz"])
    return d


def test_training_set_format(train_set):
    m = read_manifest(train_set)
    assert m["id"] == "test-set-1" and len(m["slices"]) == 6
    assert m["slices"][0]["proposedBy"] == {"name": "base", "version": "0.0.1"}
    tr, va = split_set(train_set)
    assert va == ["s5.npz"] and len(tr) == 5
    s = load_slices(train_set, tr, 224, 9)
    assert s.images.shape == (5, 224, 224) and s.labels.dtype == torch.int64
    assert set(torch.unique(s.labels).tolist()) == {0, 1, 5}  # nearest resize keeps class ids
    with pytest.raises(ValueError, match="label value"):
        load_slices(train_set, tr, 224, 3)


def test_finetune_lowers_loss_and_writes_a_loadable_model(tmp_path, base_model, train_set):
    out = str(tmp_path / "ft")
    proc = subprocess.run(
        [
            sys.executable,
            HSAM,
            "finetune",
            "--set",
            train_set,
            "--model",
            base_model,
            "--out",
            out,
            "--steps",
            "16",
            "--batch-size",
            "2",
            "--device",
            "cpu",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    progress = [e for e in events if e["event"] == "progress"]
    assert [e["step"] for e in progress] == list(range(1, 17))
    assert all({"loss", "steps", "eta_s"} <= e.keys() for e in progress)
    losses = [e["loss"] for e in progress]
    assert np.mean(losses[-4:]) < np.mean(losses[:4]) - 0.01, losses
    assert events[-1]["event"] == "done"
    assert events[0]["event"] == "env" and events[0]["device"] == "cpu" and events[0]["torch"] == torch.__version__
    assert isinstance(events[0]["cuda"], bool)
    kinds = [e["event"] if e["event"] != "phase" else e["phase"] for e in events]
    assert kinds == ["env", "start", "baseline", *["progress"] * 16, "evaluate", "eval", "export", "done"]
    ev = next(e for e in events if e["event"] == "eval")
    assert ev["valSlices"] == ["s5.npz"] and ev["dice"] == ev["after"]["perClass"] and ev["mean"] == ev["after"]["mean"]
    assert set(ev["before"]) == {"perClass", "mean"} and set(ev["before"]["perClass"]) <= set(SYNAPSE_CLASSES)
    assert os.listdir(tmp_path) == ["ft"]  # the partial folder was renamed, nothing else left beside it

    model, cfg, meta = load_ours(os.path.join(out, "model.pt"))
    assert not model.image_encoder.lora_parameters()  # folded on save
    for g in ("encoder.onnx", "decoder.onnx"):
        onnx.checker.check_model(os.path.join(out, g))
    card = read_card(out)
    assert card["provenance"]["trainingSet"]["id"] == "test-set-1"
    assert card["provenance"]["parent"] == {"name": "base", "version": "0.0.1"}
    assert card["quality"]["heldOut"]["slices"] == ["s5.npz"]
    # The base model's Dice on the same held-out slices, as the eval event reported it.
    baseline = card["provenance"]["baseline"]
    assert baseline["model"] == {"name": "base", "version": "0.0.1"} and baseline["heldOut"]["slices"] == ["s5.npz"]
    assert (baseline["perClass"], baseline["mean"]) == (ev["before"]["perClass"], ev["before"]["mean"])
    assert set(card["quality"]["perClass"]) <= set(SYNAPSE_CLASSES) and card["quality"]["notes"]
    assert [c["name"] for c in card["classes"]] == ["background", *SYNAPSE_CLASSES]
    assert "variants" not in card and not os.path.exists(os.path.join(out, "encoder.int8.onnx"))  # base has none
    # The encoder really changed (LoRA trained and folded), the base did not.
    base, _, _ = load_ours(os.path.join(base_model, "model.pt"))
    w0 = base.state_dict()["image_encoder.blocks.0.attn.qkv.weight"]
    w1 = model.state_dict()["image_encoder.blocks.0.attn.qkv.weight"]
    assert (w1 - w0).abs().max() > 0
    assert torch.equal(
        base.state_dict()["image_encoder.blocks.0.mlp.lin1.weight"],
        model.state_dict()["image_encoder.blocks.0.mlp.lin1.weight"],
    )  # frozen


def test_finetune_of_an_int8_model_writes_its_int8_variant_with_the_held_out_dice_change(
    tmp_path, base_model_int8, train_set
):
    out = str(tmp_path / "ft")
    cmd = [HSAM, "finetune", "--set", train_set, "--model", base_model_int8, "--out", out, "--steps", "4"]
    proc = subprocess.run(
        [sys.executable, *cmd, "--batch-size", "2", "--device", "cpu"], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    card = read_card(out)
    int8 = card["variants"]["int8"]
    assert int8["encoder"] == file_entry(os.path.join(out, "encoder.int8.onnx"))  # this model's weights, not the base's
    assert int8["encoder"]["sha256"] != read_card(base_model_int8)["variants"]["int8"]["encoder"]["sha256"]
    assert int8["decoder"] == card["files"]["decoder"]
    q = onnx.load(os.path.join(out, "encoder.int8.onnx"))
    onnx.checker.check_model(q)
    assert sum(n.op_type == "MatMulInteger" for n in q.graph.node) == 16
    m = int8["measured"]
    assert m["command"].endswith(" ".join(cmd[1:]) + " --batch-size 2 --device cpu")
    d = m["heldOutDice"]
    assert d["slices"] == 1 and d["fp32"] == card["quality"]["perClass"]
    assert set(d["int8"]) == set(d["fp32"]) and all(0 <= v <= 1 for v in d["int8"].values())
    assert d["maxAbsChange"] == round(max(abs(d["int8"][k] - d["fp32"][k]) for k in d["fp32"]), 4)


def test_finetune_rejects_a_set_with_other_classes(tmp_path, base_model):
    rng = np.random.default_rng(1)
    img, lab = synthetic_slice(rng)
    d = str(tmp_path / "set")
    write_set(d, [{"file": "a.npz", "image": img, "label": lab}], ["foreground"])
    proc = subprocess.run(
        [
            sys.executable,
            HSAM,
            "finetune",
            "--set",
            d,
            "--model",
            base_model,
            "--out",
            str(tmp_path / "o"),
            "--steps",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and "classes" in proc.stderr


def test_finetune_refuses_a_non_empty_out_folder(tmp_path, base_model, train_set):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    proc = subprocess.run(
        [
            sys.executable,
            HSAM,
            "finetune",
            "--set",
            train_set,
            "--model",
            base_model,
            "--out",
            str(out),
            "--steps",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "not empty" in proc.stderr and "Traceback" not in proc.stderr
    last = json.loads(proc.stdout.splitlines()[-1])
    assert last["event"] == "error" and last["kind"] == "input" and "not empty" in last["message"]
    assert sorted(os.listdir(tmp_path)) == ["taken"] and os.listdir(out) == ["notes.txt"]


def test_sigterm_cancels_and_leaves_no_model_folder(tmp_path, base_model, train_set):
    """SIGTERM while training: exit 143, a 'cancelled' event, nothing at --out or beside it."""
    import signal

    out = tmp_path / "ft"
    proc = subprocess.Popen(
        [
            sys.executable,
            HSAM,
            "finetune",
            "--set",
            train_set,
            "--model",
            base_model,
            "--out",
            str(out),
            "--steps",
            "500",
            "--batch-size",
            "1",
            "--device",
            "cpu",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stdout:
            if json.loads(line)["event"] == "progress":
                break
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 143, err[-2000:]
    assert json.loads(rest.splitlines()[-1])["event"] == "cancelled"
    assert os.listdir(tmp_path) == []


def _finetune(tmp_path, set_dir, model_dir):
    return subprocess.run(
        [
            sys.executable,
            HSAM,
            "finetune",
            "--set",
            set_dir,
            "--model",
            model_dir,
            "--out",
            str(tmp_path / "out"),
            "--steps",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _error_event(proc):
    lines = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    return next(e for e in lines if e.get("event") == "error")


def test_finetune_reads_only_files_inside_the_set(tmp_path, base_model, train_set):
    import shutil

    d = str(tmp_path / "set")
    shutil.copytree(train_set, d)
    # A slice file outside the set folder, named by the list: never read.
    outside = tmp_path / "outside.npz"
    shutil.copy(os.path.join(d, sorted(f for f in os.listdir(d) if f.endswith(".npz"))[0]), outside)
    with open(os.path.join(d, "train.txt"), "a") as f:
        f.write("../outside.npz\n")
    proc = _finetune(tmp_path, d, base_model)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert _error_event(proc)["message"] == (
        f"the training set lists ../outside.npz, which is outside the set folder {d}; "
        "a set may only list its own .npz files"
    )


def test_finetune_says_which_file_is_missing_or_not_a_checkpoint(tmp_path, base_model, train_set):
    import shutil

    d = str(tmp_path / "set")
    shutil.copytree(train_set, d)
    gone = sorted(f for f in os.listdir(d) if f.endswith(".npz"))[0]
    os.remove(os.path.join(d, gone))
    proc = _finetune(tmp_path, d, base_model)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"lists {gone}, which is missing in {d}" in _error_event(proc)["message"]

    m = str(tmp_path / "model")
    shutil.copytree(base_model, m)
    with open(os.path.join(m, "model.pt"), "wb") as f:
        f.write(b"not a checkpoint at all")
    proc = _finetune(tmp_path, train_set, m)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert _error_event(proc)["message"].startswith(f"{m}/model.pt is not a checkpoint this trainer can read (")
