"""What the CLI commands do, as functions (hsam.py only parses arguments)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from . import card as cardlib
from .card import INT8_ENCODER
from .build import HSamConfig, make_config
from .checkpoint import load_official, load_ours, lora_rank, load_tensors, random_official, save_ours
from . import distributed
from .data import load_slices, read_manifest, split_set, write_set
from .export import export_onnx
from .modeling.model import HSam
from .quantize import quantize_file
from .train import TrainOptions, pooled_dice, predict_labels, train

VIT = {"b": "vit_b", "l": "vit_l", "h": "vit_h", "tiny": "tiny"}


def emit(event: Dict[str, Any]) -> None:
    """One JSON object per line on stdout, for the app's progress bar (torchrun: rank 0 only)."""
    if not distributed.is_main_process():
        return
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def write_model_folder(
    model: HSam,
    cfg: HSamConfig,
    out: str,
    *,
    name: str,
    version: str,
    description: str,
    class_names: Sequence[str],
    provenance: Dict[str, Any],
    quality: Optional[Dict[str, Any]] = None,
    half_checkpoint: bool = False,
    checkpoint: bool = True,
    orientation: Optional[str] = None,
    resize: Optional[str] = None,
    meta: Optional[Dict[str, Any]] = None,
    int8: bool = False,
) -> Dict[str, Any]:
    """model.pt (unless ``checkpoint=False``) + encoder.onnx + decoder.onnx + model.json;
    with ``int8`` also encoder.int8.onnx (see write_int8)."""
    os.makedirs(out, exist_ok=True)
    if checkpoint:
        save_ours(
            model,
            cfg,
            os.path.join(out, "model.pt"),
            meta=dict(meta or {}, classNames=list(class_names)),
            half=half_checkpoint,
        )
        if half_checkpoint:  # export exactly what a later load of model.pt gives
            model, _, _ = load_ours(os.path.join(out, "model.pt"))
    export_onnx(model, out)
    write_int8(out, int8)
    kw: Dict[str, Any] = {}
    if orientation:
        kw["orientation"] = orientation
    if resize:
        kw["resize"] = resize
    c = cardlib.build_card(cfg, out, name, version, description, class_names, provenance, quality, **kw)
    cardlib.write_card(c, out)
    return c


def write_int8(out: str, enabled: bool = True) -> None:
    """encoder.int8.onnx beside encoder.onnx. The decoder stays fp32: its products are many and
    small (tokens, hypernetworks), so quantizing them did not pay (demo decoder 12.8 → 12.7 ms/slice
    at batch 8 in onnxruntime-node), and its logits feed the labels directly."""
    path = os.path.join(out, INT8_ENCODER)
    if enabled:
        quantize_file(os.path.join(out, "encoder.onnx"), path)
    elif os.path.exists(path):  # a stale int8 graph of an earlier export would not match the new weights
        os.remove(path)


def quantize_folder(model_dir: str, command: str) -> Dict[str, Any]:
    """encoder.int8.onnx into an existing model folder; the card gains ``variants.int8`` (its
    fp32 files, quality and provenance are kept; a previous ``measured`` is dropped, as it
    described other graphs)."""
    card = cardlib.read_card(model_dir)
    write_int8(model_dir)
    card.update(cardlib.variants(model_dir))
    card["variants"]["int8"]["command"] = command
    cardlib.write_card(card, model_dir)
    return card


def convert(
    sam: str,
    hsam: str,
    vit: str,
    img_size: int,
    num_classes: Optional[int],
    out: str,
    name: str,
    version: str,
    class_names: Optional[List[str]],
    command: str,
    int8: bool = False,
) -> Dict[str, Any]:
    hsam_sd = load_tensors(hsam)
    model, cfg = load_official(sam, hsam_sd, VIT[vit], img_size, num_classes)
    names = class_names or cardlib.default_class_names(cfg.num_classes)
    return write_model_folder(
        model,
        cfg,
        out,
        name=name,
        version=version,
        description=f"H-SAM {cfg.name} at {cfg.img_size}, converted from the official checkpoints",
        class_names=names,
        provenance={
            "source": "official H-SAM checkpoint",
            "sam": os.path.basename(sam),
            "hsam": os.path.basename(hsam),
            "command": command,
        },
        meta={"loraRank": lora_rank(hsam_sd)},
        int8=int8,
    )


def export_checkpoint(
    checkpoint: str, out: str, name: Optional[str], version: Optional[str], command: str, int8: bool = False
) -> Dict[str, Any]:
    model, cfg, meta = load_ours(checkpoint)
    names = meta.get("classNames") or cardlib.default_class_names(cfg.num_classes)
    os.makedirs(out, exist_ok=True)
    dst = os.path.join(out, "model.pt")
    if os.path.abspath(checkpoint) != os.path.abspath(dst):
        shutil.copyfile(checkpoint, dst)
    export_onnx(model, out)
    write_int8(out, int8)
    c = cardlib.build_card(
        cfg,
        out,
        name or meta.get("name", "hsam"),
        version or meta.get("version", "0"),
        f"H-SAM {cfg.name} at {cfg.img_size}",
        names,
        {"source": os.path.basename(checkpoint), "command": command},
        meta.get("quality"),
    )
    cardlib.write_card(c, out)
    return c


def make_random(
    size: str, img_size: Optional[int], num_classes: int, rank: int, seed: int, sam_out: str, hsam_out: str
) -> None:
    cfg = make_config(VIT.get(size, size), img_size=img_size, num_classes=num_classes)
    sam, hsam = random_official(cfg, rank=rank, seed=seed)
    torch.save(sam, sam_out)
    torch.save(hsam, hsam_out)


def test_image(batch: int, size: int, seed: int) -> torch.Tensor:
    """A deterministic structured input in [0, 1]: smooth blobs + noise, [B,3,S,S]."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    imgs = []
    for _ in range(batch):
        img = torch.zeros(size, size)
        for _ in range(6):
            cx, cy, r = torch.rand(3, generator=g) * torch.tensor([1.6, 1.6, 0.4]) + torch.tensor([-0.8, -0.8, 0.1])
            img += torch.rand(1, generator=g) * torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (r * r))
        img = img + 0.05 * torch.rand(size, size, generator=g)
        imgs.append((img / img.max()).clamp(0, 1))
    return torch.stack(imgs)[:, None].expand(-1, 3, -1, -1).contiguous()


def reference(model_dir: str, out: str, batch: int, seed: int) -> Dict[str, Any]:
    """Run PyTorch on a deterministic input; dump raw little-endian arrays + meta.json."""
    model, cfg, _ = load_ours(os.path.join(model_dir, "model.pt"))
    x = test_image(batch, cfg.img_size, seed)
    with torch.no_grad():
        emb = model.encode(x)
        res = model.decode(emb)
        labels = res["logits"].argmax(dim=1).to(torch.uint8)
    os.makedirs(out, exist_ok=True)
    arrays = {"image": x, "embeddings": emb, "logits": res["logits"], "labels": labels}
    meta: Dict[str, Any] = {}
    for k, v in arrays.items():
        a = v.contiguous().numpy()
        a.tofile(os.path.join(out, f"{k}.bin"))
        meta[k] = {"file": f"{k}.bin", "dtype": str(a.dtype), "shape": list(a.shape)}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta


def dice_report(
    pred: torch.Tensor, gt: torch.Tensor, class_names: Sequence[str], slices: Sequence[str], notes: str = ""
) -> Optional[Dict[str, Any]]:
    """The card's ``quality``: per-class Dice pooled over the held-out slices.

    Classes absent from both prediction and ground truth have no Dice; they
    are left out of ``perClass`` and named in ``notes``. None if no class
    could be measured."""
    d = pooled_dice(pred, gt, len(class_names) + 1)
    per = {class_names[c - 1]: round(v, 4) for c, v in d.items() if v is not None}
    absent = [class_names[c - 1] for c, v in d.items() if v is None]
    if not per:
        return None
    extra = f" Not measurable (absent from held-out labels and predictions): {', '.join(absent)}." if absent else ""
    return {
        "metric": "Dice, pooled over held-out slices, at the model's input size (labels nearest-resized)",
        "heldOut": {"slices": list(slices), "count": len(slices)},
        "perClass": per,
        "mean": round(float(np.mean(list(per.values()))), 4),
        "notes": (notes + extra).strip(),
    }


class Cancelled(KeyboardInterrupt):
    """Raised in the main thread by hsam.py's SIGTERM handler, so ``finally`` blocks
    (which remove a half-written output folder) run before the process exits."""


def partial_dir(out: str, pid: Optional[int] = None) -> str:
    """Where ``finetune`` writes before the final rename: a hidden folder beside ``out``,
    named after it and the process id, so a crashed or killed run never leaves a folder at
    ``out`` that looks like a model (the app removes ``.<name>.partial-<pid>`` after a kill)."""
    out = os.path.abspath(out)
    if pid is None:  # under torchrun, the launcher's pid: the one the app knows
        pid = os.getppid() if distributed.rank_from_env() else os.getpid()
    return os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.partial-{pid}")


def environment(device: str) -> Dict[str, Any]:
    """The interpreter and torch the trainer runs on, and the device it picked."""
    import platform

    cuda = bool(torch.cuda.is_available())
    return {
        "event": "env",
        "python": platform.python_version(),
        "executable": sys.executable,
        "torch": torch.__version__,
        "cuda": cuda,
        "device": device,
        "threads": torch.get_num_threads(),
    }


def finetune(
    set_dir: str,
    model_dir: str,
    out: str,
    steps: int,
    device: str,
    batch_size: int,
    lr: float,
    seed: int,
    version: Optional[str],
    command: str,
    mode: str = "lora",
) -> Dict[str, Any]:
    """Fine-tune ``model_dir`` on a training set into a new model folder ``out``.

    JSON lines on stdout, in order: env, start, phase "baseline", progress (one per step),
    phase "evaluate", eval {before, after, valSlices, dice, mean}, phase "export", done.
    ``before`` is the base model's held-out Dice on the same slices as ``after`` (the card keeps
    it as provenance.baseline). ``out`` must not exist or be empty: the folder is written under
    ``partial_dir(out)`` and renamed at the end, and removed if anything fails or SIGTERM comes.
    Raises ValueError for input the user can fix (set, model, classes, out, device)."""
    if steps < 1 or batch_size < 1:
        raise ValueError(f"--steps and --batch-size must be at least 1 (got {steps} and {batch_size})")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device cuda, but torch {torch.__version__} sees no CUDA device; use --device cpu or auto")
    emit(environment(device))
    out = os.path.abspath(out)
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise ValueError(
            f"output folder {out} already exists and is not empty; choose a new folder "
            "(fine-tuning never overwrites a model)"
        )
    if not os.path.isfile(os.path.join(set_dir, "manifest.json")):
        raise ValueError(f"{set_dir} is not a training set: it has no manifest.json")
    if not os.path.isfile(os.path.join(model_dir, "model.pt")):
        raise ValueError(
            f"model folder {model_dir} has no model.pt; only models with their PyTorch checkpoint " "can be fine-tuned"
        )
    manifest = read_manifest(set_dir)
    base = cardlib.read_card(model_dir)
    try:
        model, cfg, meta = load_ours(os.path.join(model_dir, "model.pt"))
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(
            f"{model_dir}/model.pt is not a checkpoint this trainer can read ({first}); "
            "choose a model folder made by hsam.py convert, export or finetune"
        ) from None
    names = [c["name"] for c in base["classes"][1:]]
    set_names = [c["name"] for c in manifest["classes"]]
    if set_names != ["background", *names]:
        raise ValueError(f"training-set classes {set_names} differ from the model's {['background', *names]}")
    train_names, val_names = split_set(set_dir)
    if not train_names:
        raise ValueError(f"training set {set_dir} has no training slices (train.txt is empty)")
    tr = load_slices(set_dir, train_names, cfg.img_size, cfg.num_outputs)
    va = load_slices(set_dir, val_names, cfg.img_size, cfg.num_outputs) if val_names else None
    rank = distributed.rank_from_env()  # torchrun: data-parallel, rank 0 evaluates and writes
    if rank:
        distributed.check_batch(rank, batch_size)
    emit(
        {
            "event": "start",
            "processes": rank.world_size if rank else 1,
            "steps": steps,
            "trainSlices": len(train_names),
            "valSlices": len(val_names),
            "device": device,
            "trainingSet": manifest["id"],
        }
    )
    base_ref = {"name": base["name"], "version": base["version"]}
    baseline = None
    if va is not None and (rank is None or rank.is_main):
        emit({"event": "phase", "phase": "baseline"})
        baseline = dice_report(
            predict_labels(model, va.images),
            va.labels,
            names,
            val_names,
            notes=f"The base model {base['name']} {base['version']} before fine-tuning, "
            f"on the same {len(val_names)} held-out slices.",
        )
    opts = TrainOptions(steps=steps, batch_size=batch_size, lr=lr, seed=seed, mode=mode, device=device)
    if rank is None:
        hist = train(model, tr, opts, progress=emit)
    else:
        try:
            opts.device = distributed.start(rank, device)
            hist = distributed.train_ddp(model, tr, opts, rank, progress=emit)
        finally:
            distributed.stop()
        if not rank.is_main:
            return {}
    model.image_encoder.fold_lora()
    model.to("cpu").eval()
    quality = None
    if va is not None:
        emit({"event": "phase", "phase": "evaluate"})
        quality = dice_report(
            predict_labels(model, va.images),
            va.labels,
            names,
            val_names,
            notes=f"{len(val_names)} held-out slices of training set {manifest['id']}.",
        )
        short = lambda r: None if r is None else {"perClass": r["perClass"], "mean": r["mean"]}  # noqa: E731
        ev: Dict[str, Any] = {
            "event": "eval",
            "before": short(baseline),
            "after": short(quality),
            "valSlices": list(val_names),
        }
        if quality:  # the fields consumers read before "before"/"after" existed
            ev.update(dice=quality["perClass"], mean=quality["mean"])
        emit(ev)
    emit({"event": "phase", "phase": "export"})
    new_version = version or f"{base['version']}+ft.{time.strftime('%Y%m%d%H%M%S')}"
    work = partial_dir(out)
    try:
        c = write_model_folder(
            model,
            cfg,
            work,
            name=base["name"],
            version=new_version,
            description=f"{base['name']} fine-tuned on training set {manifest['id']}",
            class_names=names,
            provenance={
                "source": "finetune",
                "parent": base_ref,
                "trainingSet": {"id": manifest["id"], "train": train_names, "val": val_names},
                "baseline": None if baseline is None else dict(baseline, model=base_ref),
                "steps": steps,
                "seed": seed,
                "lr": lr,
                "batchSize": batch_size,
                "mode": mode,
                "device": device,
                "seconds": round(hist["seconds"], 1),
                "command": command,
            },
            quality=quality,
            orientation=base["preprocessing"]["CT"].get("orientation"),
            resize=base["preprocessing"]["CT"].get("resize"),
            half_checkpoint=False,
            meta={"name": base["name"], "version": new_version},
        )
        if os.path.isdir(out):
            os.rmdir(out)  # empty (checked above); rename cannot replace a folder on every OS
        os.rename(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emit(
        {
            "event": "done",
            "out": out,
            "firstLoss": hist["losses"][0],
            "lastLoss": hist["losses"][-1],
            "seconds": round(hist["seconds"], 1),
        }
    )
    return c


# ------------------------------------------------------------------- demo --
DEMO_NAME = "hsam-tiny-demo"
DEMO_VERSION = "0.2.0"
DEMO_ORIENTATION = (
    "volume reoriented with nibabel.as_closest_canonical (RAS+), sliced as vol[:, :, z].T: "
    "row 0 is posterior (anterior at the bottom), the patient's right is on the image's right"
)
DEMO_RESIZE = (
    "slice resized to 224x224 bilinear (align_corners=false, half-pixel centres); "
    "labels back to the slice size by nearest"
)
DEMO_DATA = {"ct_sm": "example_ct_sm + example_seg", "ct_dicom": "example_ct_dicom + example_seg_dicom"}
DEMO_UNSEEN_METRIC = (
    "Dice, pooled over all slices of the study, at the model's input size (labels nearest-resized); "
    "classes absent from both the reference labels and the predictions are left out"
)


def _demo_set_id(sources: Sequence[str]) -> str:
    from .demo import SOURCES

    if list(sources) == list(SOURCES):
        return "totalsegmentator-examples-synapse8"  # 0.1.0's set: both volumes
    return "totalsegmentator-" + "-".join(s.replace("_", "-") for s in sources) + "-synapse8"


def demo_unseen_dice(model: HSam, data_dir: str, source: str, size: int) -> Dict[str, Any]:
    """Dice on every slice of a demo source the model was not trained on (pooled, at ``size``)."""
    from .data import resize_pair
    from .demo import volumes

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
    augment: str = "basic",
) -> Dict[str, Any]:
    """Train the shipped demo from scratch on ``sources`` (default demo.DEFAULT_SOURCES: ct_sm only); the
    card also records the Dice on every slice of each demo source left out (provenance.unseenStudies)."""
    from .demo import DEFAULT_SOURCES, SOURCES, check_sources, demo_slices

    sources = check_sources(DEFAULT_SOURCES if sources is None else sources)
    unseen = [s for s in SOURCES if s not in sources]
    torch.manual_seed(seed)
    cfg = make_config("tiny", img_size=224, num_classes=8)
    from .build import build_hsam

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
    import tempfile

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


def demo_lopo(model_dir: str, runs: Sequence[str], command: str) -> Dict[str, Any]:
    """Write leave-one-patient-out Dice into the card in ``model_dir`` (provenance.leaveOnePatientOut
    and a sentence in quality.notes) from ``train-demo`` output folders each trained on one patient:
    every run's Dice on the patient it never saw (its provenance.unseenStudies), grouped by its
    augmentation, with the mean over the two directions per augmentation."""
    rows = []
    for r in runs:
        c = cardlib.read_card(r)
        p = c["provenance"]
        if len(p["trainingSet"]["sources"]) != 1 or not p.get("unseenStudies"):
            raise ValueError(f"{r}: not a train-demo run on one patient with an unseen patient")
        for u in p["unseenStudies"]:
            rows.append(
                {
                    "train": p["trainingSet"]["sources"][0],
                    "test": u["study"],
                    "augment": p.get("augment", "basic"),
                    "steps": p["steps"],
                    "batchSize": p["batchSize"],
                    "perClass": u["perClass"],
                    "referenceClasses": u["referenceClasses"],
                    "meanOfReferenceClasses": u["meanOfReferenceClasses"],
                    "command": p["command"],
                }
            )
    summary = {}
    for aug in sorted({r["augment"] for r in rows}):
        means = [r["meanOfReferenceClasses"] for r in rows if r["augment"] == aug]
        dirs = sorted(f"{r['train']}->{r['test']}" for r in rows if r["augment"] == aug)
        summary[aug] = {"directions": dirs, "mean": round(float(np.mean(means)), 4)}
    card = cardlib.read_card(model_dir)
    card["provenance"]["leaveOnePatientOut"] = {
        "metric": DEMO_UNSEEN_METRIC + "; mean over the organs the test patient's reference has",
        "runs": rows,
        "summary": summary,
        "command": command,
    }
    text = (
        " Leave-one-patient-out (train on one of the two labelled CT patients, test on the other): "
        + "; ".join(
            f"{aug} augmentation "
            + ", ".join(
                f"{r['train']}->{r['test']} {r['meanOfReferenceClasses']:.3f}" for r in rows if r["augment"] == aug
            )
            + f" (mean {v['mean']:.3f})"
            for aug, v in summary.items()
        )
        + " (see provenance.leaveOnePatientOut)."
    )
    notes = card["quality"]["notes"].split(" Leave-one-patient-out")[0]
    card["quality"]["notes"] = notes + text
    cardlib.write_card(card, model_dir)
    return card


def demo_eval_set(
    data_dir: str, out: str, sources: Optional[Sequence[str]] = None, all_slices: bool = False
) -> Dict[str, Any]:
    """Demo slices as the model sees them: image.bin float32 [K,S,S] (the
    3-channel repeat is left to the caller) and labels.bin uint8 [K,S,S].
    By default the held-out slices of the shipped demo's sources (its card's
    quality); ``all_slices`` takes every slice (e.g. of the unseen DICOM series)."""
    from .demo import DEFAULT_SOURCES, HELD_OUT, volumes

    sources = DEFAULT_SOURCES if sources is None else sources
    s = 224
    imgs, labs, names = [], [], []
    from .data import resize_pair

    for vol_name, (img, lab) in volumes(data_dir, sources).items():
        for z in range(img.shape[0]) if all_slices else HELD_OUT[vol_name]:
            im, lb = resize_pair(img[z], lab[z], s)
            imgs.append(im.numpy())
            labs.append(lb.numpy().astype(np.uint8))
            names.append(f"{vol_name}_z{z:03d}.npz")
    os.makedirs(out, exist_ok=True)
    np.stack(imgs).astype(np.float32).tofile(os.path.join(out, "image.bin"))
    np.stack(labs).astype(np.uint8).tofile(os.path.join(out, "labels.bin"))
    meta = {"size": s, "count": len(names), "slices": names}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta
