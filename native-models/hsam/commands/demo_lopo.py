"""`hsam.py demo-lopo`: leave-one-patient-out Dice of train-demo runs into the demo's card."""

from __future__ import annotations

from typing import Any, Dict, Sequence

import numpy as np

from .. import card as cardlib
from .train_demo import DEMO_UNSEEN_METRIC


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
    steps = sorted({r["steps"] for r in rows})
    text = (
        " What to expect on a new patient's CT: leave-one-patient-out runs of this recipe, each trained from "
        f"scratch on one of the two labelled CT patients ({'/'.join(map(str, steps))} steps) and tested on every "
        "slice of the other; mean Dice over the organs the test patient's reference has: "
        + "; ".join(
            f"{aug} augmentation "
            + ", ".join(
                f"{r['train']}->{r['test']} {r['meanOfReferenceClasses']:.3f}" for r in rows if r["augment"] == aug
            )
            + f" (mean {v['mean']:.3f})"
            for aug, v in summary.items()
        )
        + "."
    )
    if len(card["provenance"].get("trainingSet", {}).get("sources", [])) > 1:
        text += (
            " This model itself was trained on both patients, so no patient is left to test it on: expect "
            "figures like these on your own CT, not its held-out Dice above."
        )
    text += " See provenance.leaveOnePatientOut."
    notes = card["quality"]["notes"].split(" What to expect on a new patient")[0]
    card["quality"]["notes"] = notes + text
    cardlib.write_card(card, model_dir)
    return card
