/**
 * NIfTI-1 writer (.nii, .nii.gz) for label maps and volumes in their source geometry. No
 * maintained JavaScript library writes NIfTI (nifti-reader-js only reads), and the format is one
 * fixed 348-byte header, so it is written here and checked against nibabel in the tests.
 *
 * Geometry goes into both the sform (exact affine) and the qform (rotation as a quaternion,
 * with qfac for left-handed frames); a direction matrix that is not a rotation (gantry-tilt
 * shear) gets qform_code 0 so readers fall back to the sform instead of a wrong qform. The
 * qform is only as exact as a float32 quaternion: see qformErrorMm.
 */
import { gzipSync } from 'node:zlib';
import type { VoxelArray, VoxelType } from '../../../common/contract/volume.js';
import type { Geometry } from './volume.js';

const DATATYPE: Readonly<Record<VoxelType, { code: number; bits: number }>> = {
  uint8: { code: 2, bits: 8 },
  int16: { code: 4, bits: 16 },
  int32: { code: 8, bits: 32 },
  float32: { code: 16, bits: 32 },
  float64: { code: 64, bits: 64 },
  int8: { code: 256, bits: 8 },
  uint16: { code: 512, bits: 16 },
  uint32: { code: 768, bits: 32 },
};

/** NIFTI_XFORM_SCANNER_ANAT: coordinates of the scanner (DICOM patient frame in RAS). */
const XFORM_SCANNER = 1;
const NIFTI_UNITS_MM = 2;

export interface NiftiInput extends Geometry {
  readonly voxelType: VoxelType;
  readonly voxels: VoxelArray;
  /** Up to 79 characters for the header's description field. */
  readonly description?: string;
  /** Display range hint for viewers (cal_min/cal_max), e.g. 0..N-1 for a label map. */
  readonly displayRange?: readonly [number, number];
}

/** The RAS affine rows (3×4) of an LPS geometry. */
function rasAffine(g: Geometry): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < 3; r++) {
    const flip = r < 2 ? -1 : 1;
    const row = [0, 1, 2].map((c) => flip * (g.direction[r * 3 + c] ?? 0) * g.spacing[c as 0 | 1 | 2]);
    row.push(flip * g.origin[r as 0 | 1 | 2]);
    rows.push(row);
  }
  return rows;
}

/**
 * Quaternion (b, c, d) and qfac of a RAS rotation R (columns = axis directions), as NIfTI's
 * nifti_mat44_to_quatern does; null when R is not orthonormal.
 */
function quaternion(r: number[][]): { b: number; c: number; d: number; qfac: number } | null {
  const m = r.map((row) => row.slice(0, 3));
  const det =
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const dot = m[0]![a]! * m[0]![b]! + m[1]![a]! * m[1]![b]! + m[2]![a]! * m[2]![b]!;
      if (Math.abs(dot - (a === b ? 1 : 0)) > 1e-4) return null;
    }
  }
  const qfac = det < 0 ? -1 : 1;
  if (qfac < 0) for (const row of m) row[2] = -row[2]!;
  const [r11, r12, r13] = m[0] as [number, number, number];
  const [r21, r22, r23] = m[1] as [number, number, number];
  const [r31, r32, r33] = m[2] as [number, number, number];
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

/** The rotation part of the RAS affine, and its quaternion (null when it is not a rotation). */
function qform(g: Geometry): { rotation: number[][]; q: ReturnType<typeof quaternion> } {
  const rotation = rasAffine(g).map((row) => row.slice(0, 3).map((x, c) => x / g.spacing[c as 0 | 1 | 2]));
  return { rotation, q: quaternion(rotation) };
}

/**
 * How far (mm) the qform we write can place the far corner of the grid from the exact affine, or
 * null when no qform is written (a sheared grid). Readers expand the float32 quaternion with a
 * computed from b, c, d (nifti_quatern_to_mat44); near 180° that is the square root of a tiny
 * difference, so precision goes: up to ~0.1 mm over 400 mm for a grid a fraction of a degree off
 * the axes, since an axial LPS grid is a 180° turn in RAS. Every NIfTI writer shares this limit.
 */
export function qformErrorMm(g: Geometry): number | null {
  const { rotation: r, q } = qform(g);
  if (!q) return null;
  let [b, c, d] = [Math.fround(q.b), Math.fround(q.c), Math.fround(q.d)];
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    const n = 1 / Math.sqrt(b * b + c * c + d * d);
    [a, b, c, d] = [0, b * n, c * n, d * n];
  } else a = Math.sqrt(a);
  const m = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  let worst = 0;
  for (let col = 0; col < 3; col++) {
    const sign = col === 2 ? q.qfac : 1;
    const off = Math.hypot(...[0, 1, 2].map((row) => sign * m[row]![col]! - r[row]![col]!));
    worst += off * g.spacing[col as 0 | 1 | 2] * Math.max(0, g.dims[col as 0 | 1 | 2] - 1);
  }
  return worst;
}

/** The bytes of a .nii file (gzip them for .nii.gz). */
export function encodeNifti1(v: NiftiInput): Buffer {
  const type = DATATYPE[v.voxelType];
  const header = Buffer.alloc(352); // 348-byte header + 4-byte empty extension flag
  header.writeInt32LE(348, 0);
  header.writeInt16LE(3, 40);
  v.dims.forEach((n, i) => header.writeInt16LE(n, 42 + 2 * i));
  for (let i = 3; i < 7; i++) header.writeInt16LE(1, 42 + 2 * i);
  header.writeInt16LE(type.code, 70);
  header.writeInt16LE(type.bits, 72);

  const affine = rasAffine(v);
  const { q } = qform(v);
  header.writeFloatLE(q?.qfac ?? 1, 76); // pixdim[0]
  v.spacing.forEach((s, i) => header.writeFloatLE(s, 80 + 4 * i));
  for (let i = 4; i < 8; i++) header.writeFloatLE(1, 76 + 4 * i);
  header.writeFloatLE(352, 108); // vox_offset
  header.writeFloatLE(1, 112); // scl_slope: values are stored as they are
  header.writeFloatLE(0, 116);
  header.writeUInt8(NIFTI_UNITS_MM, 123);
  if (v.displayRange) {
    header.writeFloatLE(v.displayRange[1], 124);
    header.writeFloatLE(v.displayRange[0], 128);
  }
  header.write((v.description ?? '').slice(0, 79), 148, 'latin1');
  header.writeInt16LE(q ? XFORM_SCANNER : 0, 252);
  header.writeInt16LE(XFORM_SCANNER, 254);
  if (q) {
    header.writeFloatLE(q.b, 256);
    header.writeFloatLE(q.c, 260);
    header.writeFloatLE(q.d, 264);
  }
  header.writeFloatLE(affine[0]![3]!, 268);
  header.writeFloatLE(affine[1]![3]!, 272);
  header.writeFloatLE(affine[2]![3]!, 276);
  affine.forEach((row, r) => row.forEach((x, c) => header.writeFloatLE(x, 280 + 16 * r + 4 * c)));
  header.write('n+1\0', 344, 'latin1');
  const data = Buffer.from(v.voxels.buffer, v.voxels.byteOffset, v.voxels.byteLength);
  return Buffer.concat([header, data]);
}

export function encodeNiftiFile(path: string, v: NiftiInput): Buffer {
  const raw = encodeNifti1(v);
  return /\.gz$/i.test(path) ? gzipSync(raw, { level: 6 }) : raw;
}
