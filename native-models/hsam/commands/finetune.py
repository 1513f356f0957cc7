"""`hsam.py finetune`: few-shot fine-tuning on an exported training set -> new model folder."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import sys
import time
import traceback
from typing import Any, Dict, Optional, Sequence

import onnx

import torch

from .. import card as cardlib
from .. import distributed
from ..card import INT8_ENCODER
from ..checkpoint import load_ours
from ..data import SliceSet, load_slices, read_manifest, split_set
from ..int8_torch import encoder_linears, int8_dice_change
from ..model_folder import write_model_folder
from ..modeling.model import HSam
from ..train import TrainOptions, predict_labels, train
from .common import dice_report, emit, log


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
    # The same int8 transform as the base model's variant, so the app keeps running int8 on the CPU.
    offers_int8 = "int8" in (base.get("variants") or {})
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
            int8=offers_int8,
        )
        if offers_int8:
            c["variants"]["int8"]["measured"] = int8_measured(
                model, va, names, command, os.path.join(work, INT8_ENCODER)
            )
            cardlib.write_card(c, work)
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


def int8_measured(
    model: HSam, va: Optional[SliceSet], names: Sequence[str], command: str, int8_graph: str
) -> Optional[Dict[str, Any]]:
    """The new card's ``variants.int8.measured``: held-out Dice per class of the int8 encoder next to
    fp32 (int8_torch: the graph's arithmetic in PyTorch, one slice per call); None without
    held-out slices. Raises if the graph's integer products are not the encoder's Linear layers."""
    if va is None:
        return None
    products = sum(n.op_type == "MatMulInteger" for n in onnx.load(int8_graph).graph.node)
    if products != len(encoder_linears(model)):
        raise RuntimeError(
            f"{int8_graph} has {products} integer products, the encoder {len(encoder_linears(model))} Linear layers"
        )
    return {
        "heldOutDice": int8_dice_change(model, va.images, va.labels, names),
        "metric": "int8 encoder (one slice per call, as the app runs it) + fp32 decoder vs fp32 encoder + decoder: "
        "Dice per class on the held-out slices (as quality), computed by the trainer with the int8 graph's "
        "arithmetic in PyTorch (hsam/int8_torch.py)",
        "command": command,
    }


def run_cli(a, command: str) -> int:
    """finetune with the exit codes and last JSON line the app reads: 0 done; 2 input the
    user can fix ({"event": "error", "message"}, no traceback); 143 cancelled by SIGTERM
    (130 by Ctrl+C; {"event": "cancelled"}); 1 anything else (error event, traceback on stderr)."""

    def on_term(signum, frame):
        raise Cancelled()

    signal.signal(signal.SIGTERM, on_term)
    try:
        finetune(a.set, a.model, a.out, a.steps, a.device, a.batch_size, a.lr, a.seed, a.version, command)
        return 0
    except KeyboardInterrupt as e:  # SIGTERM (Cancelled) or Ctrl+C
        emit({"event": "cancelled"})
        log("hsam.py finetune: cancelled; no model was written")
        return 143 if isinstance(e, Cancelled) else 130
    except ValueError as e:
        emit({"event": "error", "kind": "input", "message": str(e)})
        log(f"hsam.py finetune: error: {e}")
        return 2
    except Exception as e:
        emit({"event": "error", "kind": "crash", "message": f"{type(e).__name__}: {e}"})
        traceback.print_exc()
        return 1
