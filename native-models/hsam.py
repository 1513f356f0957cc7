#!/usr/bin/env python3
"""H-SAM Workstation model tool.

  convert     official SAM + H-SAM checkpoints -> model folder (model.pt, encoder.onnx, decoder.onnx,
              model.json; --int8: also encoder.int8.onnx)
  export      our model.pt -> model folder (--int8: also encoder.int8.onnx)
  quantize    add encoder.int8.onnx to an existing model folder
  make-random random weights in the official two-file layout (tests)
  reference   PyTorch outputs for a deterministic input, as raw .bin files (parity test)
  finetune    few-shot fine-tuning on an exported training set -> new model folder (JSON-lines progress on stdout)
  train-demo  train the shipped tiny demo model on ../shared/data/totalsegmentator
  demo-lopo   leave-one-patient-out Dice of train-demo runs into the demo's card
  demo-eval-set  the demo's held-out (or all) slices as raw .bin files (demo test)

Run with Debian's interpreter: /usr/bin/python3 native-models/hsam.py <command> --help
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(
        prog="hsam.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("convert", help="official checkpoints -> model folder")
    c.add_argument("--sam", required=True, help="SAM base checkpoint, e.g. sam_vit_b_01ec64.pth")
    c.add_argument("--hsam", required=True, help="H-SAM checkpoint as train.py saves it, e.g. 220_epoch_299.pth")
    c.add_argument("--vit", required=True, choices=["b", "l", "h", "tiny"])
    c.add_argument("--img-size", type=int, default=512)
    c.add_argument("--num-classes", type=int, default=None, help="foreground classes (checked against the checkpoint)")
    c.add_argument("--classes", default=None, help="comma-separated class names (default: Synapse names for 8)")
    c.add_argument("--name", default="hsam")
    c.add_argument("--version", default="1.0.0")
    c.add_argument("--out", required=True)
    c.add_argument(
        "--int8", action="store_true", help="also write encoder.int8.onnx (int8 weights, dynamic activations)"
    )

    e = sub.add_parser("export", help="our model.pt -> model folder")
    e.add_argument("--checkpoint", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--name", default=None)
    e.add_argument("--version", default=None)
    e.add_argument(
        "--int8", action="store_true", help="also write encoder.int8.onnx (int8 weights, dynamic activations)"
    )

    q = sub.add_parser("quantize", help="add encoder.int8.onnx to an existing model folder (card updated)")
    q.add_argument("--model", required=True, help="model folder with encoder.onnx and model.json")

    r = sub.add_parser("make-random", help="random weights in the official two-file layout")
    r.add_argument("--size", default="tiny", choices=["tiny", "b", "l", "h"])
    r.add_argument("--img-size", type=int, default=None)
    r.add_argument("--num-classes", type=int, default=8)
    r.add_argument("--rank", type=int, default=5)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--sam-out", required=True)
    r.add_argument("--hsam-out", required=True)

    f = sub.add_parser("reference", help="PyTorch outputs for a deterministic input")
    f.add_argument("--model", required=True, help="model folder with model.pt")
    f.add_argument("--out", required=True)
    f.add_argument("--batch", type=int, default=2)
    f.add_argument("--seed", type=int, default=0)

    t = sub.add_parser("finetune", help="few-shot fine-tuning")
    t.add_argument("--set", required=True, help="training-set folder (manifest.json, train.txt, *.npz)")
    t.add_argument("--model", required=True, help="model folder with model.pt and model.json")
    t.add_argument("--out", required=True)
    t.add_argument("--steps", type=int, default=200)
    t.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    t.add_argument("--batch-size", type=int, default=4)
    t.add_argument("--lr", type=float, default=0.0025)
    t.add_argument("--seed", type=int, default=2345)
    t.add_argument("--version", default=None)

    d = sub.add_parser("train-demo", help="train the shipped tiny demo model")
    d.add_argument("--data", default=None, help="default: ../shared/data/totalsegmentator beside the repo")
    d.add_argument("--work", default="/tmp/hsam-demo-set", help="where the training set is written")
    d.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "demo"))
    d.add_argument("--steps", type=int, default=1200)
    d.add_argument("--batch-size", type=int, default=8)
    d.add_argument("--lr", type=float, default=0.001)
    d.add_argument("--seed", type=int, default=2345)
    d.add_argument(
        "--sources",
        default="ct_sm,ct_dicom",
        help="comma-separated demo volumes to train on: ct_sm (example_ct_sm), ct_dicom (example_ct_dicom), or "
        "ct_sm,ct_dicom (default, as the shipped 0.3.0); one source leaves the other unseen and measured",
    )
    d.add_argument("--version", default=None, help="card version (default: the shipped demo's, 0.3.0)")
    d.add_argument(
        "--augment",
        default="strong",
        choices=["basic", "strong"],
        help="basic: rotation or zoom-in crop (as 0.2.0); strong: + intensity, scale, shift, elastic (0.3.0)",
    )

    lo = sub.add_parser("demo-lopo", help="leave-one-patient-out Dice of train-demo runs into a card")
    lo.add_argument("--model", required=True, help="model folder whose card gets the figures")
    lo.add_argument("runs", nargs="+", help="train-demo output folders, each trained on one patient")

    v = sub.add_parser("demo-eval-set", help="the demo's held-out slices as .bin files")
    v.add_argument("--data", default=None)
    v.add_argument("--out", required=True)
    v.add_argument("--sources", default="ct_sm,ct_dicom", help="comma-separated demo volumes (default both)")
    v.add_argument("--all-slices", action="store_true", help="every slice, not only the held-out ones")

    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: with 2 OpenMP threads on this 2-core machine, "
        "shared with the app, training steps were ~3x slower)",
    )
    a = p.parse_args(argv)
    command = "/usr/bin/python3 native-models/hsam.py " + " ".join(shlex.quote(x) for x in argv)
    warnings.filterwarnings("ignore", category=UserWarning)  # torch.onnx tracer chatter

    import torch

    torch.set_num_threads(max(1, a.threads))
    from hsam.commands import convert, demo_eval_set, demo_lopo, export, finetune, make_random, quantize, reference
    from hsam.commands import train_demo
    from hsam.commands.common import log
    from hsam.demo import default_data_dir

    if a.cmd == "convert":
        names = a.classes.split(",") if a.classes else None
        card = convert.convert(
            a.sam, a.hsam, a.vit, a.img_size, a.num_classes, a.out, a.name, a.version, names, command, a.int8
        )
        log(f"wrote {a.out}: {', '.join(f['path'] for f in card['files'].values())}")
    elif a.cmd == "export":
        export.export_checkpoint(a.checkpoint, a.out, a.name, a.version, command, a.int8)
        log(f"wrote {a.out}")
    elif a.cmd == "quantize":
        quantize.quantize_folder(a.model, command)
        log(f"wrote {a.model}/encoder.int8.onnx")
    elif a.cmd == "make-random":
        make_random.make_random(a.size, a.img_size, a.num_classes, a.rank, a.seed, a.sam_out, a.hsam_out)
    elif a.cmd == "reference":
        reference.reference(a.model, a.out, a.batch, a.seed)
    elif a.cmd == "finetune":
        return finetune.run_cli(a, command)
    elif a.cmd == "train-demo":
        train_demo.train_demo(
            a.data or default_data_dir(),
            a.work,
            a.out,
            a.steps,
            a.batch_size,
            a.lr,
            a.seed,
            command,
            sources=a.sources.split(","),
            version=a.version or train_demo.DEMO_VERSION,
            augment=a.augment,
        )
    elif a.cmd == "demo-lopo":
        demo_lopo.demo_lopo(a.model, a.runs, command)
    elif a.cmd == "demo-eval-set":
        demo_eval_set.demo_eval_set(a.data or default_data_dir(), a.out, a.sources.split(","), a.all_slices)
    return 0


if __name__ == "__main__":
    sys.exit(main())
