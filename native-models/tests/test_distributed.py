"""Data-parallel fine-tuning under torchrun: 2 CPU processes (gloo) follow the loss curve of
one process with the same global batch and seed, on slices of the shared sample CT; only
rank 0 prints progress and writes the model folder."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hsam.card import SYNAPSE_CLASSES
from hsam.checkpoint import load_ours
from hsam.data import write_set
from hsam.demo import default_data_dir, demo_slices
from hsam.distributed import rank_from_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HSAM = os.path.join(ROOT, "hsam.py")
DEMO = os.path.join(ROOT, "models", "demo")
STEPS = 5
# Relative difference allowed per step: the two runs differ only in float summation order
# (per-rank partial sums, DDP's gradient buckets), which compounds over the steps.
RTOL = 1e-4


@pytest.fixture(scope="module")
def ct_set(tmp_path_factory):
    """9 slices of example_ct_sm with its TotalSegmentator labels: 8 to train, 1 held out."""
    slices, _ = demo_slices(default_data_dir(), ["ct_sm"])
    picked = [s for s in slices if s["sliceIndex"] in (2, 6, 9, 12, 17, 20, 23, 27, 14)]
    d = str(tmp_path_factory.mktemp("ctset"))
    write_set(d, picked, SYNAPSE_CLASSES, set_id="ct-sm-ddp", val=["ct_sm_z014.npz"])
    return d


def finetune(out, train_set, nproc):
    args = ["--set", train_set, "--model", DEMO, "--out", out, "--steps", str(STEPS)]
    args += ["--batch-size", "4", "--device", "cpu", "--seed", "7", "--version", "9.9.9"]
    launcher = [sys.executable]
    if nproc:  # --standalone: a local rendezvous on a free port
        launcher += ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)]
        # torch 1.13 on Python 3.11 cannot parse its own default "0" (IntFlag iteration skips
        # NONE); a mapping for a rank that does not exist leaves every real rank's output alone.
        launcher += ["--redirects", "9:1", "--tee", "9:1"]
    env = dict(os.environ, OMP_NUM_THREADS="1")  # the same thread count per process in both runs
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    proc = subprocess.run(
        [*launcher, HSAM, "finetune", *args], capture_output=True, text=True, timeout=900, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_rank_from_env():
    assert rank_from_env({}) is None
    assert rank_from_env({"RANK": "0", "WORLD_SIZE": "1"}) is None
    r = rank_from_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"})
    assert (r.rank, r.world_size, r.local_rank, r.is_main) == (1, 2, 1, False)


def test_two_processes_follow_one_process_loss_curve(tmp_path, ct_set):
    one = finetune(str(tmp_path / "one"), ct_set, 0)
    two = finetune(str(tmp_path / "two"), ct_set, 2)
    kinds = lambda ev: [e["event"] if e["event"] != "phase" else e["phase"] for e in ev]  # noqa: E731
    expected = ["env", "start", "baseline", *["progress"] * STEPS, "evaluate", "eval", "export", "done"]
    # One JSON line per event: rank 1 prints nothing.
    assert kinds(one) == expected and kinds(two) == expected
    assert [e["processes"] for e in (one[1], two[1])] == [1, 2]
    l1 = np.array([e["loss"] for e in one if e["event"] == "progress"])
    l2 = np.array([e["loss"] for e in two if e["event"] == "progress"])
    # Not a flat curve: the comparison means something.
    assert np.ptp(l1) > 0.01, l1
    np.testing.assert_allclose(l2, l1, rtol=RTOL, atol=0)
    # The last loss unrounded (measured: 5e-7 relative).
    last = [next(e["lastLoss"] for e in ev if e["event"] == "done") for ev in (one, two)]
    assert abs(last[1] - last[0]) <= RTOL * abs(last[0]), last
    # One model folder each, written by rank 0 only, and nothing else beside them.
    assert sorted(os.listdir(tmp_path)) == ["one", "two"]
    m1, _, _ = load_ours(str(tmp_path / "one" / "model.pt"))
    m2, _, _ = load_ours(str(tmp_path / "two" / "model.pt"))
    s1, s2 = m1.state_dict(), m2.state_dict()
    worst = max(float((s1[k] - s2[k]).abs().max()) for k in s1)
    assert worst < 1e-3, worst
