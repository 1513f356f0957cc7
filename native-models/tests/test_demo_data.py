"""The demo's data mapping: TotalSegmentator `total` -> Synapse classes, CT window, orientation."""

import json
import os

import numpy as np
import pytest

from hsam.card import SYNAPSE_CLASSES
from hsam.demo import (
    DEFAULT_SOURCES,
    HELD_OUT,
    check_sources,
    default_data_dir,
    demo_slices,
    map_labels,
    volumes,
    window_ct,
)

DEMO_CARD = os.path.join(os.path.dirname(__file__), "..", "models", "demo", "model.json")
LOOP_CARD = os.path.join(os.path.dirname(__file__), "..", "fixtures", "models", "demo-ct-sm", "model.json")


def test_label_map_follows_synapse_order():
    total = np.array([0, 1, 2, 3, 4, 5, 6, 7, 52, 8, 51, 53])
    # spleen 1, kidney_right 2, kidney_left 3, gallbladder 4, liver 5, stomach 6, pancreas 7 -> 8, aorta 52 -> 7
    assert map_labels(total).tolist() == [0, 1, 2, 3, 4, 5, 6, 8, 7, 0, 0, 0]
    assert SYNAPSE_CLASSES[7 - 1] == "aorta" and SYNAPSE_CLASSES[8 - 1] == "pancreas"


def test_ct_window():
    out = window_ct(np.array([-1000, -125, 75, 275, 3000], dtype=np.int16))
    assert out.dtype == np.float32 and out.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_both_sources_share_one_orientation_and_hold_out_every_organ():
    vols = volumes(default_data_dir())
    assert vols["ct_sm"][0].shape == (30, 101, 122) and vols["ct_dicom"][0].shape == (20, 512, 512)
    held_all = set()
    for name, (img, lab) in vols.items():
        assert img.min() >= 0 and img.max() <= 1
        held_all |= set(np.unique(lab[HELD_OUT[name]]).tolist())
        # Canonical RAS, sliced as vol[:, :, z].T: the spine (bright, posterior) is in the top half,
        # the liver (class 5, patient right) in the right half of the image.
        z = HELD_OUT[name][2]
        ys, xs = np.nonzero(lab[z] == 5)
        assert xs.mean() > lab.shape[2] / 2
        bone_rows = np.nonzero(img[z] > 0.99)[0]
        assert np.median(bone_rows) < lab.shape[1] * 0.6
    assert held_all == set(range(9))  # every organ is evaluated


def test_the_shipped_demo_trains_on_both_patients_and_the_loop_fixture_on_ct_sm_only():
    assert list(DEFAULT_SOURCES) == ["ct_sm", "ct_dicom"]
    slices, held = demo_slices(default_data_dir())
    assert [len([s for s in slices if s["study"] == v]) for v in ("ct_sm", "ct_dicom")] == [30, 20]
    assert held == [f"{v}_z{z:03d}.npz" for v in ("ct_sm", "ct_dicom") for z in HELD_OUT[v]]
    held_labels = set().union(*(np.unique(s["label"]).tolist() for s in slices if s["file"] in held))
    assert held_labels == set(range(9))
    assert check_sources(["ct_dicom", "ct_sm"]) == ["ct_sm", "ct_dicom"]
    with pytest.raises(ValueError):
        check_sources(["ct"])
    # The shipped card says so: both patients in its training set, held-out slices of both.
    with open(DEMO_CARD) as f:
        card = json.load(f)
    ts = card["provenance"]["trainingSet"]
    assert ts["sources"] == ["ct_sm", "ct_dicom"] and len(ts["train"]) == 40
    assert {n[: n.index("_z")] for n in ts["train"]} == {"ct_sm", "ct_dicom"}
    assert card["quality"]["heldOut"]["slices"] == ts["val"] == held
    assert "unseenStudies" not in card["provenance"]
    # The closed loop's model (demo 0.2.0, a fixture) never saw the DICOM series, and its card measured it.
    with open(LOOP_CARD) as f:
        loop = json.load(f)
    ts = loop["provenance"]["trainingSet"]
    assert ts["sources"] == ["ct_sm"]
    assert all(n.startswith("ct_sm_") for n in ts["train"] + ts["val"]) and len(ts["train"]) == 24
    (unseen,) = loop["provenance"]["unseenStudies"]
    assert unseen["study"] == "ct_dicom" and unseen["slices"] == 20
    assert unseen["referenceClasses"] == ["spleen", "liver", "stomach", "aorta", "pancreas"]
