/**
 * Independent references for the label exporters: the shared TotalSegmentator label maps mapped
 * to the 8 Synapse classes and put on a volume's grid by nibabel, and what nibabel, pydicom and a
 * plain numpy + gzip NRRD parser (pynrrd is not in Debian) make of the files we write. Grids are
 * matched through the affines (a signed axis permutation, checked), never through our code.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportSegment } from '../electron/services/export/segments.js';
import type { Geometry } from '../electron/services/imaging/volume.js';
import { findFiles } from './paths.js';
import { pythonJson } from './python.js';

/** TotalSegmentator `total` index → Synapse class (1 spleen … 8 pancreas). */
export { TOTAL_TO_MODEL as TOTALSEG_TO_SYNAPSE } from './synapse.js';

const ANATOMY = { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' };
const organ = (labelValue: number, name: string, code: string, meaning: string, color: [number, number, number]): ExportSegment => ({
  labelValue,
  name,
  color,
  algorithmType: 'AUTOMATIC',
  algorithmName: 'hsam-tiny-demo 1.0.0',
  category: ANATOMY,
  type: { scheme: 'SCT', value: code, meaning },
});

/** The 8 Synapse organs with SNOMED CT codes (kidneys with laterality, as DICOM codes them), and a mix of provenance. */
export const SYNAPSE_SEGMENTS: readonly ExportSegment[] = [
  organ(1, 'spleen', '78961009', 'Spleen', [157, 108, 162]),
  { ...organ(2, 'kidney_right', '64033007', 'Kidney', [185, 102, 83]), typeModifier: { scheme: 'SCT', value: '24028007', meaning: 'Right' } },
  { ...organ(3, 'kidney_left', '64033007', 'Kidney', [185, 102, 83]), typeModifier: { scheme: 'SCT', value: '7771000', meaning: 'Left' } },
  organ(4, 'gallbladder', '28231008', 'Gallbladder', [139, 150, 98]),
  { ...organ(5, 'liver', '10200004', 'Liver', [221, 130, 101]), algorithmType: 'SEMIAUTOMATIC' },
  organ(6, 'stomach', '69695003', 'Stomach', [216, 132, 105]),
  organ(7, 'aorta', '15825003', 'Aorta', [224, 97, 76]),
  { labelValue: 8, name: 'pancreas', color: [249, 180, 111], algorithmType: 'MANUAL', category: ANATOMY, type: { scheme: 'SCT', value: '15776009', meaning: 'Pancreas' } },
];

/** Signed-permutation resampling of a label map onto another grid with the same voxel centres. */
const ALIGN = String.raw`
import gzip, json, re, sys
import numpy as np
import nibabel as nib

def mapped(path, mapping):
    data = np.asanyarray(nib.load(path).dataobj)
    out = np.zeros(data.shape, np.uint8)
    for src, dst in mapping.items():
        out[data == int(src)] = dst
    return out, nib.load(path).affine

def align(src, src_aff, dst_aff, dst_shape):
    m = np.linalg.inv(src_aff) @ np.asarray(dst_aff)
    p = np.rint(m[:3, :3])
    assert np.abs(m[:3, :3] - p).max() < 1e-3, 'grids are not related by an axis permutation'
    perm = [int(np.argmax(np.abs(p[:, a]))) for a in range(3)]
    out = np.transpose(src, perm)
    for a in range(3):
        s = int(p[perm[a], a])
        t = m[perm[a], 3]
        assert abs(t - round(t)) < 1e-3 and round(t) == (0 if s > 0 else src.shape[perm[a]] - 1), 'grids are offset'
        if s < 0:
            out = np.flip(out, axis=a)
    assert list(out.shape) == list(dst_shape), (out.shape, dst_shape)
    return out

def ras(directions, origin):
    a = np.eye(4)
    a[:3, :3] = np.asarray(directions, float).T
    a[:3, 3] = origin
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ a

def boxes(data):
    out = {}
    for v in np.unique(data):
        if v == 0:
            continue
        idx = np.argwhere(data == v)
        lo, hi = idx.min(axis=0), idx.max(axis=0)
        out[str(int(v))] = [int(lo[0]), int(hi[0]), int(lo[1]), int(hi[1]), int(lo[2]), int(hi[2])]
    return out
`;

/** LPS geometry (ours, or a ReferenceGeometry) → the 4×4 RAS affine nibabel uses. */
export function rasAffine(g: { readonly spacing: readonly number[]; readonly origin: readonly number[]; readonly direction: readonly number[] }): number[][] {
  const rows = [0, 1, 2].map((r) => {
    const f = r < 2 ? -1 : 1;
    return [...[0, 1, 2].map((c) => f * g.direction[r * 3 + c]! * g.spacing[c]!), f * g.origin[r]!];
  });
  return [...rows, [0, 0, 0, 1]];
}

/** Largest distance (mm) between where two affines put the corners of a grid. */
export function affineCornerDistance(a: readonly (readonly number[])[], b: readonly (readonly number[])[], dims: readonly number[]): number {
  let worst = 0;
  for (let corner = 0; corner < 8; corner++) {
    const ijk = [0, 1, 2].map((c) => ((corner >> c) & 1 ? dims[c]! - 1 : 0));
    const p = (m: readonly (readonly number[])[]): number[] => [0, 1, 2].map((r) => m[r]![0]! * ijk[0]! + m[r]![1]! * ijk[1]! + m[r]![2]! * ijk[2]! + m[r]![3]!);
    const [pa, pb] = [p(a), p(b)];
    worst = Math.max(worst, Math.hypot(pa[0]! - pb[0]!, pa[1]! - pb[1]!, pa[2]! - pb[2]!));
  }
  return worst;
}

/** `seg` mapped through `mapping` and put on `target`'s grid, in its voxel order (i fastest). */
export function referenceLabels(seg: string, mapping: Readonly<Record<number, number>>, target: Geometry): { labels: Uint8Array; affine: number[][]; counts: Record<string, number> } {
  const out = join(mkdtempSync(join(tmpdir(), 'hsam-label-ref-')), 'labels.raw');
  const script = String.raw`${ALIGN}
a = json.load(sys.stdin)
data, aff = mapped(a['seg'], a['mapping'])
on_grid = align(data, aff, a['target'], a['dims'])
open(a['out'], 'wb').write(np.asfortranarray(on_grid).tobytes(order='F'))
values, counts = np.unique(on_grid, return_counts=True)
print(json.dumps(dict(affine=aff.tolist(), counts={str(int(v)): int(c) for v, c in zip(values, counts)})))`;
  const r = pythonJson<{ affine: number[][]; counts: Record<string, number> }>(script, { seg, mapping, target: rasAffine(target), dims: target.dims, out });
  return { labels: new Uint8Array(readFileSync(out)), ...r };
}

/** The RAS affine of a DICOM series from its headers alone (pydicom), sorted along the normal. */
export function pydicomAffine(dir: string): number[][] {
  const script = String.raw`
import json, sys
import numpy as np
import pydicom
hs = [pydicom.dcmread(p, stop_before_pixels=True) for p in json.load(sys.stdin)]
iop = np.array([float(x) for x in hs[0].ImageOrientationPatient])
row, col = iop[:3], iop[3:]
normal = np.cross(row, col)
hs.sort(key=lambda h: float(np.dot([float(x) for x in h.ImagePositionPatient], normal)))
first = np.array([float(x) for x in hs[0].ImagePositionPatient])
last = np.array([float(x) for x in hs[-1].ImagePositionPatient])
dk = float(np.dot(last - first, normal)) / (len(hs) - 1)
ps = [float(x) for x in hs[0].PixelSpacing]
lps = np.eye(4)
lps[:3, 0] = row * ps[1]
lps[:3, 1] = col * ps[0]
lps[:3, 2] = normal * dk
lps[:3, 3] = first
print(json.dumps((np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps).tolist()))`;
  return pythonJson<number[][]>(script, findFiles(dir, /.*/));
}

export interface NiftiView {
  readonly shape: number[];
  readonly dtype: string;
  readonly sform: number[][];
  readonly qform: number[][];
  readonly sformCode: number;
  readonly qformCode: number;
  readonly descrip: string;
  readonly calMin: number;
  readonly calMax: number;
  /** Voxels that differ from the mapped source labels put on this file's grid by its sform; -1 without a source. */
  readonly mismatches: number;
  readonly counts: Record<string, number>;
}

export interface ItkSnapView {
  readonly labels: { index: number; rgb: number[]; alpha: number; visible: number; mesh: number; name: string }[];
}

export interface SegNrrdView {
  readonly fields: Record<string, string>;
  readonly keyValues: Record<string, string>;
  readonly sizes: number[];
  readonly dtype: string;
  /** Columns as written (LPS), and the LPS origin. */
  readonly directions: number[][];
  readonly origin: number[];
  /** The RAS affine of the header's geometry. */
  readonly affine: number[][];
  readonly mismatches: number;
  /** numpy's bounding box per label value present: [i0, i1, j0, j1, k0, k1]. */
  readonly boxes: Record<string, number[]>;
}

/**
 * What the independent readers see in our files, each compared voxel by voxel with `seg` mapped
 * through `mapping`: nibabel for the NIfTI, ITK-SNAP's own parsing rule (seven numbers, then the
 * text between the first two quotes) for the label file, numpy + gzip for the .seg.nrrd.
 */
export function inspectExports(a: {
  /** The source label map to compare voxels with (mismatches is -1 without one). */
  seg?: string;
  mapping?: Readonly<Record<number, number>>;
  nifti?: string;
  labelFile?: string;
  segNrrd?: string;
}): { nifti?: NiftiView; itksnap?: ItkSnapView; segNrrd?: SegNrrdView } {
  const script = String.raw`${ALIGN}
a = json.load(sys.stdin)
src, src_aff = mapped(a['seg'], a['mapping']) if a.get('seg') else (None, None)
def mismatches(d, aff):
    return -1 if src is None else int((d != align(src, src_aff, aff, d.shape)).sum())
out = {}
if a.get('nifti'):
    img = nib.load(a['nifti'])
    d = np.asanyarray(img.dataobj)
    h = img.header
    values, counts = np.unique(d, return_counts=True)
    out['nifti'] = dict(shape=list(d.shape), dtype=str(d.dtype), sform=img.get_sform().tolist(), qform=img.get_qform().tolist(),
        sformCode=int(h['sform_code']), qformCode=int(h['qform_code']), descrip=h['descrip'].item().decode('latin1'),
        calMin=float(h['cal_min']), calMax=float(h['cal_max']), mismatches=mismatches(d, img.get_sform()),
        counts={str(int(v)): int(c) for v, c in zip(values, counts)})
if a.get('labelFile'):
    labels = []
    for line in open(a['labelFile'], encoding='utf-8'):
        if line.startswith('#') or not line.strip():
            continue
        nums, name = line.split('"', 1)
        n = nums.split()
        labels.append(dict(index=int(n[0]), rgb=[int(x) for x in n[1:4]], alpha=float(n[4]), visible=int(n[5]), mesh=int(n[6]), name=name.split('"', 1)[0]))
    out['itksnap'] = dict(labels=labels)
if a.get('segNrrd'):
    raw = open(a['segNrrd'], 'rb').read()
    end = raw.index(b'\n\n')
    fields, kv = {}, {}
    for line in raw[:end].decode('utf-8').split('\n')[1:]:
        if line.startswith('#'):
            continue
        if ':=' in line:
            k, v = line.split(':=', 1)
            kv[k] = re.sub(r'\\(\\|n)', lambda m: '\n' if m.group(1) == 'n' else '\\', v)
        else:
            k, v = line.split(': ', 1)
            fields[k] = v
    sizes = [int(s) for s in fields['sizes'].split()]
    dtype = {'unsigned char': 'uint8', 'uchar': 'uint8'}[fields['type']]
    body = raw[end + 2:]
    body = gzip.decompress(body) if fields['encoding'] == 'gzip' else body
    d = np.frombuffer(body, dtype=dtype).reshape(sizes, order='F')
    dirs = [[float(x) for x in m.split(',')] for m in re.findall(r'\(([^)]*)\)', fields['space directions'])]
    origin = [float(x) for x in re.findall(r'\(([^)]*)\)', fields['space origin'])[0].split(',')]
    assert fields['space'] == 'left-posterior-superior'
    aff = ras(dirs, origin)
    out['segNrrd'] = dict(fields=fields, keyValues=kv, sizes=sizes, dtype=str(d.dtype), directions=dirs, origin=origin,
        affine=aff.tolist(), mismatches=mismatches(d, aff), boxes=boxes(d))
print(json.dumps(out))`;
  return pythonJson(script, a);
}
