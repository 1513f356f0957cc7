"""What the CLI commands do, as functions (hsam.py only parses arguments)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from . import card as cardlib
from .build import HSamConfig, make_config
from .checkpoint import load_official, load_ours, lora_rank, load_tensors, random_official, save_ours
from .data import load_slices, read_manifest, split_set, write_set
from .export import export_onnx
from .model import HSam
from .train import TrainOptions, pooled_dice, predict_labels, train

VIT = {"b": "vit_b", "l": "vit_l", "h": "vit_h", "tiny": "tiny"}


def emit(event: Dict[str, Any]) -> None:
    """One JSON object per line on stdout, for the app's progress bar."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def write_model_folder(
    model: HSam, cfg: HSamConfig, out: str, *, name: str, version: str, description: str,
    class_names: Sequence[str], provenance: Dict[str, Any], quality: Optional[Dict[str, Any]] = None,
    half_checkpoint: bool = False, checkpoint: bool = True, orientation: Optional[str] = None,
    resize: Optional[str] = None, meta: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """model.pt (unless ``checkpoint=False``) + encoder.onnx + decoder.onnx + model.json."""
    os.makedirs(out, exist_ok=True)
    if checkpoint:
        save_ours(model, cfg, os.path.join(out, "model.pt"), meta=dict(meta or {}, classNames=list(class_names)),
                  half=half_checkpoint)
        if half_checkpoint:  # export exactly what a later load of model.pt gives
            model, _, _ = load_ours(os.path.join(out, "model.pt"))
    export_onnx(model, out)
    kw: Dict[str, Any] = {}
    if orientation:
        kw["orientation"] = orientation
    if resize:
        kw["resize"] = resize
    c = cardlib.build_card(cfg, out, name, version, description, class_names, provenance, quality, **kw)
    cardlib.write_card(c, out)
    return c


def convert(sam: str, hsam: str, vit: str, img_size: int, num_classes: Optional[int], out: str,
            name: str, version: str, class_names: Optional[List[str]], command: str) -> Dict[str, Any]:
    hsam_sd = load_tensors(hsam)
    model, cfg = load_official(sam, hsam_sd, VIT[vit], img_size, num_classes)
    names = class_names or cardlib.default_class_names(cfg.num_classes)
    return write_model_folder(
        model, cfg, out, name=name, version=version,
        description=f"H-SAM {cfg.name} at {cfg.img_size}, converted from the official checkpoints",
        class_names=names,
        provenance={"source": "official H-SAM checkpoint", "sam": os.path.basename(sam),
                    "hsam": os.path.basename(hsam), "command": command},
        meta={"loraRank": lora_rank(hsam_sd)},
    )


def export_checkpoint(checkpoint: str, out: str, name: Optional[str], version: Optional[str], command: str) -> Dict[str, Any]:
    model, cfg, meta = load_ours(checkpoint)
    names = meta.get("classNames") or cardlib.default_class_names(cfg.num_classes)
    os.makedirs(out, exist_ok=True)
    dst = os.path.join(out, "model.pt")
    if os.path.abspath(checkpoint) != os.path.abspath(dst):
        shutil.copyfile(checkpoint, dst)
    export_onnx(model, out)
    c = cardlib.build_card(cfg, out, name or meta.get("name", "hsam"), version or meta.get("version", "0"),
                           f"H-SAM {cfg.name} at {cfg.img_size}", names,
                           {"source": os.path.basename(checkpoint), "command": command}, meta.get("quality"))
    cardlib.write_card(c, out)
    return c


def make_random(size: str, img_size: Optional[int], num_classes: int, rank: int, seed: int, sam_out: str, hsam_out: str) -> None:
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
            cx, cy, r = (torch.rand(3, generator=g) * torch.tensor([1.6, 1.6, 0.4]) + torch.tensor([-0.8, -0.8, 0.1]))
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
        labels = res["logits"].softmax(dim=1).argmax(dim=1).to(torch.uint8)
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


def dice_report(pred: torch.Tensor, gt: torch.Tensor, class_names: Sequence[str], slices: Sequence[str],
                notes: str = "") -> Optional[Dict[str, Any]]:
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
    return {"metric": "Dice, pooled over held-out slices, at the model's input size (labels nearest-resized)",
            "heldOut": {"slices": list(slices), "count": len(slices)}, "perClass": per,
            "mean": round(float(np.mean(list(per.values()))), 4), "notes": (notes + extra).strip()}


def finetune(set_dir: str, model_dir: str, out: str, steps: int, device: str, batch_size: int, lr: float,
             seed: int, version: Optional[str], command: str, mode: str = "lora") -> Dict[str, Any]:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    manifest = read_manifest(set_dir)
    base = cardlib.read_card(model_dir)
    model, cfg, meta = load_ours(os.path.join(model_dir, "model.pt"))
    names = [c["name"] for c in base["classes"][1:]]
    set_names = [c["name"] for c in manifest["classes"]]
    if set_names != ["background", *names]:
        raise ValueError(f"training-set classes {set_names} differ from the model's {['background', *names]}")
    train_names, val_names = split_set(set_dir)
    tr = load_slices(set_dir, train_names, cfg.img_size, cfg.num_outputs)
    emit({"event": "start", "steps": steps, "trainSlices": len(train_names), "valSlices": len(val_names),
          "device": device, "trainingSet": manifest["id"]})
    opts = TrainOptions(steps=steps, batch_size=batch_size, lr=lr, seed=seed, mode=mode, device=device)
    hist = train(model, tr, opts, progress=emit)
    model.image_encoder.fold_lora()
    model.to("cpu").eval()
    quality = None
    if val_names:
        va = load_slices(set_dir, val_names, cfg.img_size, cfg.num_outputs)
        quality = dice_report(predict_labels(model, va.images), va.labels, names, val_names,
                              notes=f"{len(val_names)} held-out slices of training set {manifest['id']}.")
        if quality:
            emit({"event": "eval", "dice": quality["perClass"], "mean": quality["mean"]})
    new_version = version or f"{base['version']}+ft.{time.strftime('%Y%m%d%H%M%S')}"
    c = write_model_folder(
        model, cfg, out, name=base["name"], version=new_version,
        description=f"{base['name']} fine-tuned on training set {manifest['id']}", class_names=names,
        provenance={"source": "finetune", "parent": {"name": base["name"], "version": base["version"]},
                    "trainingSet": {"id": manifest["id"], "train": train_names, "val": val_names},
                    "steps": steps, "seed": seed, "lr": lr, "batchSize": batch_size, "mode": mode,
                    "seconds": round(hist["seconds"], 1), "command": command},
        quality=quality,
        orientation=base["preprocessing"]["CT"].get("orientation"),
        resize=base["preprocessing"]["CT"].get("resize"),
        half_checkpoint=False,
        meta={"name": base["name"], "version": new_version},
    )
    emit({"event": "done", "out": out, "firstLoss": hist["losses"][0], "lastLoss": hist["losses"][-1]})
    return c


# ------------------------------------------------------------------- demo --
DEMO_NAME = "hsam-tiny-demo"
DEMO_ORIENTATION = ("volume reoriented with nibabel.as_closest_canonical (RAS+), sliced as vol[:, :, z].T: "
                    "row 0 is posterior (anterior at the bottom), the patient's right is on the image's right")
DEMO_RESIZE = "slice resized to 224x224 bilinear (align_corners=false, half-pixel centres); labels back to the slice size by nearest"


def train_demo(data_dir: str, work: str, out: str, steps: int, batch_size: int, lr: float, seed: int,
               command: str) -> Dict[str, Any]:
    from .demo import demo_slices

    torch.manual_seed(seed)
    cfg = make_config("tiny", img_size=224, num_classes=8)
    from .build import build_hsam

    model = build_hsam(cfg)
    slices, held = demo_slices(data_dir)
    manifest = write_set(work, slices, cardlib.SYNAPSE_CLASSES, set_id="totalsegmentator-examples-synapse8", val=held)
    train_names, val_names = split_set(work)
    tr = load_slices(work, train_names, cfg.img_size, cfg.num_outputs)
    emit({"event": "start", "steps": steps, "trainSlices": len(train_names), "valSlices": len(val_names)})
    opts = TrainOptions(steps=steps, batch_size=batch_size, lr=lr, seed=seed, mode="all", device="cpu")
    hist = train(model, tr, opts, progress=emit)
    va = load_slices(work, val_names, cfg.img_size, cfg.num_outputs)
    # Measure on the float16-stored weights that ship (write_model_folder reloads them).
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        save_ours(model, cfg, os.path.join(tmp, "m.pt"), half=True)
        shipped, _, _ = load_ours(os.path.join(tmp, "m.pt"))
    quality = dice_report(predict_labels(shipped, va.images), va.labels, cardlib.SYNAPSE_CLASSES, val_names, notes=(
        f"Trained from scratch (no pretrained SAM weights) on {len(train_names)} CT slices of two patients, "
        f"{steps} steps of batch {batch_size} on 2 CPU cores; "
        "held-out slices come from the same two patients (neighbouring slices), so this measures fit, not "
        "generalisation to new patients. Far weaker than the paper's H-SAM (Synapse 10%: mean 80.35). "
        "Labels are TotalSegmentator outputs, not manual ground truth. Kidneys and gallbladder appear only in "
        "the 3 mm CT_sm volume."))
    assert quality is not None
    emit({"event": "eval", "dice": quality["perClass"], "mean": quality["mean"]})
    c = write_model_folder(
        model, cfg, out, name=DEMO_NAME, version="0.1.0",
        description="Tiny H-SAM demo model (8 Synapse abdominal organs on CT) trained from scratch on the "
                    "TotalSegmentator example CTs; for trying the workstation, not for clinical use",
        class_names=cardlib.SYNAPSE_CLASSES,
        provenance={"source": "trained from scratch by hsam.py train-demo",
                    "data": "TotalSegmentator tests/reference_files (Apache-2.0; images CC BY 4.0): "
                            "example_ct_sm + example_seg, example_ct_dicom + example_seg_dicom",
                    "labelMap": {"spleen": 1, "kidney_right": 2, "kidney_left": 3, "gallbladder": 4, "liver": 5,
                                 "stomach": 6, "aorta": 52, "pancreas": 7},
                    "trainingSet": {"id": manifest["id"], "train": train_names, "val": val_names},
                    "steps": steps, "batchSize": batch_size, "lr": lr, "seed": seed, "threads": torch.get_num_threads(),
                    "seconds": round(hist["seconds"], 1), "finalLoss": round(hist["losses"][-1], 4),
                    "command": command},
        quality=quality, half_checkpoint=True, orientation=DEMO_ORIENTATION, resize=DEMO_RESIZE,
        meta={"name": DEMO_NAME, "version": "0.1.0"},
    )
    emit({"event": "done", "out": out, "seconds": round(hist["seconds"], 1)})
    return c


def demo_eval_set(data_dir: str, out: str) -> Dict[str, Any]:
    """Held-out demo slices as the model sees them: image.bin float32 [K,S,S]
    (the 3-channel repeat is left to the caller) and labels.bin uint8 [K,S,S]."""
    from .demo import HELD_OUT, volumes

    s = 224
    imgs, labs, names = [], [], []
    from .data import resize_pair

    for vol_name, (img, lab) in volumes(data_dir).items():
        for z in HELD_OUT[vol_name]:
            i, l = resize_pair(img[z], lab[z], s)
            imgs.append(i.numpy())
            labs.append(l.numpy().astype(np.uint8))
            names.append(f"{vol_name}_z{z:03d}.npz")
    os.makedirs(out, exist_ok=True)
    np.stack(imgs).astype(np.float32).tofile(os.path.join(out, "image.bin"))
    np.stack(labs).astype(np.uint8).tofile(os.path.join(out, "labels.bin"))
    meta = {"size": s, "count": len(names), "slices": names}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta
