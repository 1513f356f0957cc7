/**
 * DICOM SEG fixtures built with pydicom and numpy alone, following PS3.3 A.51 (Segmentation IOD)
 * and C.8.20: a SEG of chosen TotalSegmentator structures on the shared DICOM series, its frames
 * placed by the series' own headers (pydicom) and its pixels taken from a NIfTI label map through
 * nibabel's affine, so nothing of ours decides where a frame goes. Types: BINARY (1 bit, packed
 * little-endian across frames), FRACTIONAL (8 bit, Maximum Fractional Value 255; pixels of 100
 * outside and 128 inside the structure check the threshold at one half) and LABELMAP (Supplement
 * 243: one frame per slice, pixel = segment number). A "Region" box segment overlaps the others,
 * and frames are written in shuffled order.
 *
 * Returns (in files beside `out`) the map a reader must rebuild (segments valued 1..n in Segment Number order, a later
 * segment winning a shared voxel) in the order of the series' slices sorted along the normal, i
 * (column) fastest, the slices' SOP Instance UIDs in that order, and the count of shared voxels.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PYTHON } from './python.js';

const SCRIPT = String.raw`
import json, os, sys, datetime
import numpy as np, nibabel as nib, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import generate_uid, ExplicitVRLittleEndian
a = json.loads(sys.argv[1])
files = [os.path.join(a["series"], f) for f in sorted(os.listdir(a["series"]))]
src = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
iop = np.array(src[0].ImageOrientationPatient, float); rowdir, coldir = iop[:3], iop[3:]; normal = np.cross(rowdir, coldir)
src.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, float), normal)))
# The shared series is anonymised: blank SOP UIDs in the datasets (the file meta keeps them) and
# blank Study and Series Instance UIDs, for which the SEG needs stand-ins.
for d in src:
    d.SOPInstanceUID = d.get("SOPInstanceUID") or d.file_meta.MediaStorageSOPInstanceUID
    d.SOPClassUID = d.get("SOPClassUID") or d.file_meta.MediaStorageSOPClassUID
rows, cols = int(src[0].Rows), int(src[0].Columns); ps = [float(x) for x in src[0].PixelSpacing]
# "half": the SEG on a coarser in-plane grid (half the rows and columns, twice the spacing, its
# first pixel a quarter source pixel in), so its pixels fall off the source lattice without ties.
half = a.get("half", False)
src_rows, src_cols = rows, cols
shift = np.zeros(3)
if half:
    rows, cols = rows // 2, cols // 2; ps = [2 * ps[0], 2 * ps[1]]
    shift = 0.25 * (ps[1] / 2) * rowdir + 0.25 * (ps[0] / 2) * coldir
img = nib.load(a["labels"]); lab = np.asarray(img.dataobj).astype(np.int32)
inv = np.linalg.inv(np.diag([-1.0, -1.0, 1.0, 1.0]) @ img.affine)  # LPS -> NIfTI voxel
rr, cc = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
values = []
for d in src:
    p = np.array(d.ImagePositionPatient, float) + shift
    world = p[None, None, :] + cc[..., None] * ps[1] * rowdir + rr[..., None] * ps[0] * coldir
    ijk = np.rint(np.c_[world.reshape(-1, 3), np.ones(rows * cols)] @ inv[:3].T).astype(int)
    values.append(lab[ijk[:, 0], ijk[:, 1], ijk[:, 2]].reshape(rows, cols))
values = np.stack(values)  # (slice, row, col)
segs = [(v, n) for v, n in a["segments"]]
masks = [values == v for v, _ in segs]
box = np.zeros_like(masks[0]); box[4:12, rows * 150 // 512:rows * 330 // 512, cols * 150 // 512:cols * 330 // 512] = True
masks.append(box); segs.append((0, "Region"))
flat = np.zeros(values.shape, np.uint8); shared = 0
for n, m in enumerate(masks):
    shared += int(np.count_nonzero(m & (flat > 0) & (flat != n + 1)))
    flat[m] = n + 1
kind = a["type"]
ds = Dataset()
ds.file_meta = FileMetaDataset()
sop_class = "1.2.840.10008.5.1.4.1.1.66.7" if kind == "LABELMAP" else "1.2.840.10008.5.1.4.1.1.66.4"
ds.file_meta.MediaStorageSOPClassUID = sop_class
ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds.is_little_endian = True; ds.is_implicit_VR = False
for k in ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate", "StudyTime", "StudyID",
          "AccessionNumber", "ReferringPhysicianName", "FrameOfReferenceUID"]:
    setattr(ds, k, getattr(src[0], k, ""))
ds.StudyInstanceUID = ds.StudyInstanceUID or generate_uid()
now = datetime.datetime(2026, 1, 2, 3, 4, 5)
ds.SOPClassUID = sop_class; ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
ds.Modality = "SEG"; ds.SeriesInstanceUID = generate_uid(); ds.SeriesNumber = 99; ds.InstanceNumber = 1
ds.Manufacturer = "pydicom fixture"; ds.ManufacturerModelName = "test"; ds.DeviceSerialNumber = "1"; ds.SoftwareVersions = "1"
ds.ContentDate = now.strftime("%Y%m%d"); ds.ContentTime = now.strftime("%H%M%S"); ds.ContentLabel = "FIXTURE"; ds.ContentDescription = ""; ds.ContentCreatorName = ""
ds.ImageType = ["DERIVED", "PRIMARY"]; ds.PositionReferenceIndicator = ""
ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"; ds.PixelRepresentation = 0
ds.Rows = rows; ds.Columns = cols; ds.LossyImageCompression = "00"
ds.SegmentationType = kind
if kind == "FRACTIONAL":
    ds.SegmentationFractionalType = "PROBABILITY"; ds.MaximumFractionalValue = 255
bits = {"BINARY": 1, "FRACTIONAL": 8, "LABELMAP": 8}[kind]
ds.BitsAllocated = bits; ds.BitsStored = bits; ds.HighBit = bits - 1
def code(v, s, m):
    c = Dataset(); c.CodeValue = v; c.CodingSchemeDesignator = s; c.CodeMeaning = m; return c
seq = []
for n, (_, name) in enumerate(segs):
    s = Dataset(); s.SegmentNumber = n + 1; s.SegmentLabel = name; s.SegmentAlgorithmType = "MANUAL"
    s.SegmentedPropertyCategoryCodeSequence = [code("85756007", "SCT", "Tissue")]
    s.SegmentedPropertyTypeCodeSequence = [code("85756007", "SCT", "Tissue")]
    s.RecommendedDisplayCIELabValue = [40000 + 1000 * n, 30000, 30000]
    seq.append(s)
ds.SegmentSequence = seq
shared_fg = Dataset()
pm = Dataset(); pm.PixelSpacing = [repr(x) for x in ps]; pm.SliceThickness = src[0].SliceThickness; shared_fg.PixelMeasuresSequence = [pm]
po = Dataset(); po.ImageOrientationPatient = src[0].ImageOrientationPatient; shared_fg.PlaneOrientationSequence = [po]
ds.SharedFunctionalGroupsSequence = [shared_fg]
dim_org = generate_uid(); ds.DimensionOrganizationSequence = [Dataset()]; ds.DimensionOrganizationSequence[0].DimensionOrganizationUID = dim_org
di = []
for tag, ptr in ([(0x0062000B, 0x0062000A)] if kind != "LABELMAP" else []) + [(0x00200032, 0x00209113)]:
    x = Dataset(); x.DimensionOrganizationUID = dim_org; x.DimensionIndexPointer = tag; x.FunctionalGroupPointer = ptr; di.append(x)
ds.DimensionIndexSequence = di
rng = np.random.default_rng(7)
frames = []  # (segment number or None, slice)
if kind == "LABELMAP":
    frames = [(None, k) for k in range(len(src))]
else:
    frames = [(n + 1, k) for n, m in enumerate(masks) for k in range(len(src)) if m[k].any()]
order = rng.permutation(len(frames))
frames = [frames[i] for i in order]
pixels = []; per = []
for seg, k in frames:
    f = Dataset()
    fc = Dataset(); fc.DimensionIndexValues = ([seg] if seg else []) + [k + 1]; f.FrameContentSequence = [fc]
    pp = Dataset(); pp.ImagePositionPatient = [repr(float(x)) for x in np.array(src[k].ImagePositionPatient, float) + shift]; f.PlanePositionSequence = [pp]
    if seg:
        si = Dataset(); si.ReferencedSegmentNumber = seg; f.SegmentIdentificationSequence = [si]
    der = Dataset(); der.DerivationCodeSequence = [code("113076", "DCM", "Segmentation")]
    ref = Dataset(); ref.ReferencedSOPClassUID = src[k].SOPClassUID; ref.ReferencedSOPInstanceUID = src[k].SOPInstanceUID
    ref.PurposeOfReferenceCodeSequence = [code("121322", "DCM", "Source image for image processing operation")]
    der.SourceImageSequence = [ref]; f.DerivationImageSequence = [der]
    per.append(f)
    if kind == "LABELMAP":
        pixels.append(flat[k])
    elif kind == "BINARY":
        pixels.append(masks[seg - 1][k].astype(np.uint8))
    else:
        m = masks[seg - 1][k]
        fr = np.where(m, 200, 0).astype(np.uint8)
        fr[m & (rng.random(m.shape) < 0.1)] = 128
        fr[~m & (rng.random(m.shape) < 0.05)] = 100
        pixels.append(fr)
ds.PerFrameFunctionalGroupsSequence = per
ds.NumberOfFrames = len(frames)
rs = Dataset(); rs.SeriesInstanceUID = src[0].get("SeriesInstanceUID") or generate_uid()
rs.ReferencedInstanceSequence = []
for d in src:
    r = Dataset(); r.ReferencedSOPClassUID = d.SOPClassUID; r.ReferencedSOPInstanceUID = d.SOPInstanceUID; rs.ReferencedInstanceSequence.append(r)
ds.ReferencedSeriesSequence = [rs]
arr = np.stack(pixels)
if kind == "BINARY":
    raw = np.packbits(arr.reshape(-1), bitorder="little").tobytes()
else:
    raw = arr.astype(np.uint8).tobytes()
if len(raw) % 2: raw += b"\0"
ds.PixelData = raw
ds["PixelData"].VR = "OB"
ds.save_as(a["out"], write_like_original=False)
if half:
    # What a nearest-label reader must give on the source grid: source pixel c is SEG pixel round((c - 0.25) / 2).
    r_idx = np.clip(np.rint((np.arange(src_rows) - 0.25) / 2).astype(int), 0, rows - 1)
    c_idx = np.clip(np.rint((np.arange(src_cols) - 0.25) / 2).astype(int), 0, cols - 1)
    flat = flat[:, r_idx][:, :, c_idx]
flat.tofile(a["out"] + ".flat.u8"); values.astype(np.uint8).tofile(a["out"] + ".values.u8")
print(json.dumps(dict(uids=[str(d.SOPInstanceUID) for d in src], shared=shared, frames=len(frames), names=[n for _, n in segs])))
`;

export interface PydicomSeg {
  /** The map to rebuild: (slice sorted along the normal, row, column), column fastest. */
  readonly flat: Uint8Array;
  /** The NIfTI's label value at every pixel of the series, in the same order. */
  readonly values: Uint8Array;
  /** The slices' SOP Instance UIDs in that order. */
  readonly uids: string[];
  readonly shared: number;
  readonly frames: number;
  readonly names: string[];
}

/** `segments`: [label value in `labels`, segment label] each; a "Region" box segment is added last. */
export function writePydicomSeg(o: { series: string; labels: string; out: string; type: 'BINARY' | 'FRACTIONAL' | 'LABELMAP'; segments: [number, string][]; half?: boolean }): PydicomSeg {
  const r = JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT, JSON.stringify(o)], { encoding: 'utf8' })) as Omit<PydicomSeg, 'flat' | 'values'>;
  return { ...r, flat: new Uint8Array(readFileSync(`${o.out}.flat.u8`)), values: new Uint8Array(readFileSync(`${o.out}.values.u8`)) };
}
