"""`hsam.py train-demo`: train the shipped tiny demo model from scratch."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch

from .. import card as cardlib
from ..build import build_hsam, make_config
from ..checkpoint import load_ours, save_ours
from ..data import load_slices, resize_pair, split_set, write_set
from ..demo import DEFAULT_SOURCES, SOURCES, check_sources, demo_slices, volumes
from ..model_folder import write_model_folder
from ..modeling.model import HSam
from ..train import TrainOptions, pooled_dice, predict_labels, train
from .common import dice_report, emit

DEMO_NAME = "hsam-tiny-demo"
DEMO_VERSION = "0.3.0"
DEMO_ORIENTATION = (
    "volume reoriented with nibabel.as_closest_canonical (RAS+), sliced as vol[:, :, z].T: "
    "row 0 is posterior (anterior at the bottom), the patient's right is on the image's right"
)
DEMO_RESIZE = (
    "slice resized to 224x224 bilinear (align_corners=false, half-pixel centres); "
    "logits back to the slice size bilinear, then argmax"
)
DEMO_DATA = {"ct_sm": "example_ct_sm + example_seg", "ct_dicom": "example_ct_dicom + example_seg_dicom"}
DEMO_UNSEEN_METRIC = (
    "Dice, pooled over all slices of the study, at the model's input size (labels nearest-resized); "
    "classes absent from both the reference labels and the predictions are left out"
)


def _demo_set_id(sources: Sequence[str]) -> str:
    if list(sources) == list(SOURCES):
        return "totalsegmentator-examples-synapse8"  # 0.1.0's set: both volumes
    return "totalsegmentator-" + "-".join(s.replace("_", "-") for s in sources) + "-synapse8"


def demo_unseen_dice(model: HSam, data_dir: str, source: str, size: int) -> Dict[str, Any]:
    """Dice on every slice of a demo source the model was not trained on (pooled, at ``size``)."""

    img, lab = volumes(data_dir, [source])[source]
    pairs = [resize_pair(img[z], lab[z], size) for z in range(img.shape[0])]
    images = torch.stack([p[0] for p in pairs])
    labels = torch.stack([p[1] for p in pairs])
    pred = predict_labels(model, images)
    d = pooled_dice(pred, labels, len(cardlib.SYNAPSE_CLASSES) + 1)
    names = cardlib.SYNAPSE_CLASSES
    per = {names[c - 1]: round(v, 4) for c, v in d.items() if v is not None}
    present = [names[c - 1] for c in range(1, len(names) + 1) if bool((labels == c).any())]
    # Classes the model paints although the reference has none (their Dice is 0): pixels at `size`.
    false_pos = {
        names[c - 1]: int((pred == c).sum())
        for c in range(1, len(names) + 1)
        if names[c - 1] not in present and bool((pred == c).any())
    }
    mean_ref = [per[n] for n in present if n in per]
    return {
        "study": source,
        "data": DEMO_DATA[source],
        "slices": int(img.shape[0]),
        "metric": DEMO_UNSEEN_METRIC,
        "perClass": per,
        "mean": round(float(np.mean(list(per.values()))), 4) if per else None,
        "referenceClasses": present,
        "meanOfReferenceClasses": round(float(np.mean(mean_ref)), 4) if mean_ref else None,
        "falsePositivePixels": false_pos,
    }


def demo_notes(
    train_count: int, sources: Sequence[str], steps: int, batch_size: int, unseen: Sequence[Dict[str, Any]]
) -> str:
    """The demo card's quality notes: what the held-out numbers mean and the Dice on unseen studies."""
    files = ", ".join(DEMO_DATA[s].split(" + ")[0] for s in sources)
    one = len(sources) == 1
    notes = (
        f"Trained from scratch (no pretrained SAM weights) on {train_count} CT slices of "
        f"{'one patient' if one else f'{len(sources)} patients'} ({files}), {steps} steps of batch {batch_size} "
        f"on 2 CPU cores. The held-out slices are neighbours of training slices of the same "
        f"{'patient' if one else 'patients'}, so this measures fit, not generalisation to new patients; not "
        "comparable with the paper's H-SAM (Synapse 10%, pretrained SAM ViT-B, new patients: mean 80.35). "
        "Labels are TotalSegmentator outputs, not manual ground truth."
    )
    if "ct_dicom" in sources:
        notes += " Kidneys and gallbladder appear only in the 3 mm CT_sm volume."
    for u in unseen:
        ref = [n for n in u["referenceClasses"] if n in u["perClass"]]
        fp = list(u.get("falsePositivePixels", {}))
        notes += (
            f" On a patient it never saw ({DEMO_DATA[u['study']].split(' + ')[0]}: another patient and "
            f"scanner; all {u['slices']} slices pooled at 224x224): "
            + ", ".join(f"{n} {u['perClass'][n]:.3f}" for n in ref)
            + (
                f" (mean {u['meanOfReferenceClasses']:.3f} over the organs its reference has)"
                if u.get("meanOfReferenceClasses") is not None
                else ""
            )
        )
        if fp:
            notes += (
                f"; it also paints {', '.join(fp)}, which that reference lacks (Dice 0; mean over all "
                f"{len(u['perClass'])} classes {u['mean']:.3f})"
            )
        notes += ". See provenance.unseenStudies."
    return notes


def train_demo(
    data_dir: str,
    work: str,
    out: str,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    command: str,
    sources: Optional[Sequence[str]] = None,
    version: str = DEMO_VERSION,
    augment: str = "strong",
) -> Dict[str, Any]:
    """Train the shipped demo from scratch on ``sources`` (default demo.DEFAULT_SOURCES: both patients); the
    card also records the Dice on every slice of each demo source left out (provenance.unseenStudies)."""

    sources = check_sources(DEFAULT_SOURCES if sources is None else sources)
    unseen = [s for s in SOURCES if s not in sources]
    torch.manual_seed(seed)
    cfg = make_config("tiny", img_size=224, num_classes=8)

    model = build_hsam(cfg)
    slices, held = demo_slices(data_dir, sources)
    manifest = write_set(work, slices, cardlib.SYNAPSE_CLASSES, set_id=_demo_set_id(sources), val=held)
    train_names, val_names = split_set(work)
    tr = load_slices(work, train_names, cfg.img_size, cfg.num_outputs)
    emit(
        {
            "event": "start",
            "steps": steps,
            "trainSlices": len(train_names),
            "valSlices": len(val_names),
            "sources": sources,
        }
    )
    opts = TrainOptions(
        steps=steps, batch_size=batch_size, lr=lr, seed=seed, mode="all", device="cpu", augment_mode=augment
    )
    hist = train(model, tr, opts, progress=emit)
    va = load_slices(work, val_names, cfg.img_size, cfg.num_outputs)
    # Measure on the float16-stored weights that ship (write_model_folder reloads them).

    with tempfile.TemporaryDirectory() as tmp:
        save_ours(model, cfg, os.path.join(tmp, "m.pt"), half=True)
        shipped, _, _ = load_ours(os.path.join(tmp, "m.pt"))
    unseen_dice = [demo_unseen_dice(shipped, data_dir, s, cfg.img_size) for s in unseen]
    notes = demo_notes(len(train_names), sources, steps, batch_size, unseen_dice)
    quality = dice_report(
        predict_labels(shipped, va.images), va.labels, cardlib.SYNAPSE_CLASSES, val_names, notes=notes
    )
    assert quality is not None
    emit({"event": "eval", "dice": quality["perClass"], "mean": quality["mean"]})
    for u in unseen_dice:
        emit({"event": "eval", "study": u["study"], "dice": u["perClass"], "mean": u["mean"]})
    provenance: Dict[str, Any] = {
        "source": "trained from scratch by hsam.py train-demo",
        "data": "TotalSegmentator tests/reference_files (Apache-2.0; images CC BY 4.0): "
        + ", ".join(DEMO_DATA[s] for s in sources),
        "labelMap": {
            "spleen": 1,
            "kidney_right": 2,
            "kidney_left": 3,
            "gallbladder": 4,
            "liver": 5,
            "stomach": 6,
            "aorta": 52,
            "pancreas": 7,
        },
        "trainingSet": {"id": manifest["id"], "sources": sources, "train": train_names, "val": val_names},
        "steps": steps,
        "batchSize": batch_size,
        "lr": lr,
        "seed": seed,
        "augment": augment,
        "threads": torch.get_num_threads(),
        "seconds": round(hist["seconds"], 1),
        "finalLoss": round(hist["losses"][-1], 4),
        "command": command,
    }
    if unseen_dice:
        provenance["unseenStudies"] = unseen_dice
    c = write_model_folder(
        model,
        cfg,
        out,
        name=DEMO_NAME,
        version=version,
        description="Tiny H-SAM demo model (8 Synapse abdominal organs on CT) trained from scratch on "
        + (
            "the TotalSegmentator example CT example_ct_sm"
            if sources == ["ct_sm"]
            else "the TotalSegmentator example CTs"
        )
        + "; for trying the workstation, not for clinical use",
        class_names=cardlib.SYNAPSE_CLASSES,
        provenance=provenance,
        quality=quality,
        half_checkpoint=True,
        orientation=DEMO_ORIENTATION,
        resize=DEMO_RESIZE,
        meta={"name": DEMO_NAME, "version": version},
    )
    emit({"event": "done", "out": out, "seconds": round(hist["seconds"], 1)})
    return c
