"""The shipped demo model's data: TotalSegmentator's reference CT files
mapped to the eight Synapse organs.

Sources (../shared/data/totalsegmentator, Apache-2.0 / CC BY 4.0):
  * "ct_sm": example_ct_sm.nii.gz + example_seg.nii.gz: 30 slices, 122x101, 3 mm
  * "ct_dicom": example_ct_dicom/ (JPEG 2000, decoded by pydicom through Pillow) +
    example_seg_dicom.nii.gz: 20 slices, 512x512, 0.98 mm (another patient and scanner)

The shipped demo (0.3.0) is trained on both (DEFAULT_SOURCES); what to expect on a patient it
never saw is measured by leave-one-patient-out runs (`train-demo --sources ct_sm`, then
`--sources ct_dicom`, then `demo-lopo`). 0.2.0, trained on ct_sm only, is kept as a test fixture
(fixtures/models/demo-ct-sm) for the closed loop, which needs an unseen patient.

Both volumes are reoriented to nibabel's closest canonical (RAS) orientation
and sliced as vol[:, :, z].T, so the two sources share one in-plane
orientation. CT is windowed to [-125, 275] HU and scaled to [0, 1].
"""

from __future__ import annotations

import glob
import os
from typing import Dict, List, Sequence, Tuple

import nibabel as nib
import numpy as np

from .card import SYNAPSE_CLASSES

# TotalSegmentator `total` index -> model class (Synapse order, HSAM.md section 2).
TOTAL_TO_SYNAPSE = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 52: 7, 7: 8}
assert [SYNAPSE_CLASSES[c - 1] for c in (1, 2, 3, 4, 5, 6, 7, 8)] == SYNAPSE_CLASSES
# Held-out slices: 2-slice blocks (three in CT_sm, two in the DICOM series when it
# is trained on); CT_sm's alone hold all eight organs.
HELD_OUT = {"ct_sm": [4, 5, 14, 15, 24, 25], "ct_dicom": [4, 5, 14, 15]}
SOURCES = ("ct_sm", "ct_dicom")
# Training sources of the shipped demo: both labelled patients.
DEFAULT_SOURCES = SOURCES


def check_sources(sources: Sequence[str]) -> List[str]:
    """Validated, de-duplicated sources in SOURCES order."""
    bad = [s for s in sources if s not in SOURCES]
    if bad or not sources:
        raise ValueError(f"unknown or no demo sources {list(sources)}: choose from {', '.join(SOURCES)}")
    return [s for s in SOURCES if s in sources]


def default_data_dir() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data", "totalsegmentator"))


def window_ct(hu: np.ndarray) -> np.ndarray:
    """HU -> float32 in [0, 1]: clip to [-125, 275], then (v + 125) / 400."""
    return ((np.clip(hu.astype(np.float32), -125.0, 275.0) + 125.0) / 400.0).astype(np.float32)


def map_labels(total: np.ndarray) -> np.ndarray:
    out = np.zeros(total.shape, dtype=np.uint8)
    for src, dst in TOTAL_TO_SYNAPSE.items():
        out[total == src] = dst
    return out


def canonical(arr: np.ndarray, affine: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    img = nib.as_closest_canonical(nib.Nifti1Image(arr, affine))
    return np.asarray(img.dataobj), img.affine


def load_dicom_series(folder: str) -> Tuple[np.ndarray, np.ndarray]:
    """HU volume [cols, rows, slices] (nibabel axis order) and its RAS affine."""
    import pydicom

    ds = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(folder, "*")))]
    iop = np.array(ds[0].ImageOrientationPatient, dtype=float)
    col_dir, row_dir = iop[:3], iop[3:]
    normal = np.cross(col_dir, row_dir)
    ds.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, dtype=float))))
    dr, dc = (float(v) for v in ds[0].PixelSpacing)  # row spacing, column spacing
    pos = [np.array(d.ImagePositionPatient, dtype=float) for d in ds]
    dz = float(np.dot(normal, pos[1] - pos[0])) if len(ds) > 1 else 1.0
    vol = np.stack(
        [d.pixel_array.astype(np.float32) * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in ds], -1
    )
    vol = vol.transpose(1, 0, 2)  # [rows, cols, z] -> [cols (i), rows (j), z]
    lps = np.eye(4)
    lps[:3, 0] = col_dir * dc
    lps[:3, 1] = row_dir * dr
    lps[:3, 2] = normal * dz
    lps[:3, 3] = pos[0]
    ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps
    return vol, ras


def volumes(data_dir: str, sources: Sequence[str] = SOURCES) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """{'ct_sm': (image [Z,H,W] float32 in [0,1], label [Z,H,W] uint8), 'ct_dicom': ...} for the given sources."""
    sources = check_sources(sources)
    out = {}
    if "ct_sm" in sources:
        out["ct_sm"] = _ct_sm(data_dir)
    if "ct_dicom" in sources:
        out["ct_dicom"] = _ct_dicom(data_dir)
    return out


def _ct_sm(data_dir: str) -> Tuple[np.ndarray, np.ndarray]:
    ct = nib.load(os.path.join(data_dir, "example_ct_sm.nii.gz"))
    seg = nib.load(os.path.join(data_dir, "example_seg.nii.gz"))
    ct_arr, ct_aff = canonical(np.asarray(ct.dataobj).astype(np.float32), ct.affine)
    seg_arr, seg_aff = canonical(np.asarray(seg.dataobj), seg.affine)
    if not np.allclose(ct_aff, seg_aff, atol=1e-3):
        raise ValueError("example_ct_sm and example_seg grids differ")
    return _slices(ct_arr, seg_arr)


def _ct_dicom(data_dir: str) -> Tuple[np.ndarray, np.ndarray]:
    hu, aff = load_dicom_series(os.path.join(data_dir, "example_ct_dicom"))
    hu, aff = canonical(hu, aff)
    seg = nib.load(os.path.join(data_dir, "example_seg_dicom.nii.gz"))
    seg_arr, seg_aff = canonical(np.asarray(seg.dataobj), seg.affine)
    if hu.shape != seg_arr.shape or not np.allclose(aff, seg_aff, atol=1e-2):
        raise ValueError(
            f"DICOM geometry {hu.shape} {aff.tolist()} does not match example_seg_dicom {seg_aff.tolist()}"
        )
    return _slices(hu, seg_arr)


def _slices(hu: np.ndarray, total: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    img = np.stack([window_ct(hu[:, :, z].T) for z in range(hu.shape[2])])
    lab = np.stack([map_labels(np.asarray(total[:, :, z]).T) for z in range(total.shape[2])])
    return img, lab


def demo_slices(data_dir: str, sources: Sequence[str] = DEFAULT_SOURCES) -> Tuple[List[Dict], List[str]]:
    """Slice dicts for data.write_set and the names of the held-out ones."""
    slices, held = [], []
    for vol_name, (img, lab) in volumes(data_dir, sources).items():
        for z in range(img.shape[0]):
            name = f"{vol_name}_z{z:03d}.npz"
            slices.append(
                {
                    "file": name,
                    "image": img[z],
                    "label": lab[z],
                    "study": vol_name,
                    "sliceIndex": z,
                    "proposedBy": None,
                    "correctedClasses": [],
                }
            )
            if z in HELD_OUT[vol_name]:
                held.append(name)
    return slices, held
