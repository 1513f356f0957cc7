/**
 * NIfTI-1/NIfTI-2 (.nii, .nii.gz) into a `Volume`. Header parsing is nifti-reader-js; the
 * affine choice is ours because the library prefers the qform while ITK (and so every tool our
 * users compare against) prefers the sform when its code is set.
 *
 * Rejected with a clear message: files that are not NIfTI, truncated data, 4-D series, element
 * types we cannot keep exactly (64-bit integers, complex, RGB), and headers that lie (negative
 * or enormous dims, a NaN data offset): those are refused from the header, before the data is
 * read or inflated. A NaN sform falls back to the qform with a warning.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import * as nifti from 'nifti-reader-js';
import type { VoxelArray } from '../../../common/contract/volume.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { fileError } from '../storage/file-error.js';
import { geometryFromRasAffine, type Affine } from './geometry.js';
import { checkVoxelBudget, gunzipBounded, gunzipPrefix, readRegularFile, regularFileSize } from '../storage/safe-read.js';
import { voxelTypeOf, type Vec3, type Volume } from './volume.js';

/** Bytes of a NIfTI-2 header (NIfTI-1's is 348): enough to read either. */
const HEADER_BYTES = 540;

type Ctor = new (buffer: ArrayBuffer) => VoxelArray;
const elementTypes: Readonly<Record<number, { ctor: Ctor; bytes: number }>> = {
  2: { ctor: Uint8Array, bytes: 1 },
  4: { ctor: Int16Array, bytes: 2 },
  8: { ctor: Int32Array, bytes: 4 },
  16: { ctor: Float32Array, bytes: 4 },
  64: { ctor: Float64Array, bytes: 8 },
  256: { ctor: Int8Array, bytes: 1 },
  512: { ctor: Uint16Array, bytes: 2 },
  768: { ctor: Uint32Array, bytes: 4 },
};

export const isNiftiPath = (path: string): boolean => /\.nii(\.gz)?$/i.test(path);

export async function readNifti(path: string): Promise<Volume> {
  const name = basename(path);
  await regularFileSize(path, name);
  const gz = await isGzip(path, name);
  // The header first: what it declares bounds everything read or inflated after it.
  const head = gz
    ? await gunzipPrefix(path, HEADER_BYTES).catch(() => {
        throw new UserFacingError('unreadable', `${name} is gzip-compressed but the data is corrupt or truncated.`);
      })
    : await readHead(path, name);
  const layout = niftiLayout(name, toArrayBuffer(head));
  const file = await readRegularFile(path, { name });
  const bytes = gz ? await gunzipBounded(file, layout.end, name) : file;
  return niftiToVolume(name, toArrayBuffer(bytes));
}

const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

async function isGzip(path: string, name: string): Promise<boolean> {
  const head = await readHead(path, name, 2);
  return head[0] === 0x1f && head[1] === 0x8b;
}

async function readHead(path: string, name: string, n = HEADER_BYTES): Promise<Buffer> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw fileError(name, e);
  });
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

interface NiftiLayout {
  readonly header: nifti.NIFTI1 | nifti.NIFTI2;
  readonly dims: Vec3;
  readonly type: { ctor: Ctor; bytes: number };
  /** Where the voxels start and end in the (inflated) file. */
  readonly offset: number;
  readonly end: number;
}

/** The header's claims, checked: a volume we can hold, laid out where the header says. */
function niftiLayout(name: string, data: ArrayBuffer): NiftiLayout {
  if (data.byteLength < 348 || !nifti.isNIFTI(data)) throw new UserFacingError('unreadable', `${name} is not a NIfTI-1 or NIfTI-2 file.`);
  const header = nifti.readHeader(data);
  if (!header) throw new UserFacingError('unreadable', `${name}: the NIfTI header could not be read.`);

  const rank = header.dims[0] ?? 0;
  if (!Number.isInteger(rank) || rank < 2 || rank > 7) throw new UserFacingError('unreadable', `${name}: invalid NIfTI dimension count ${rank}.`);
  const used = header.dims.slice(1, rank + 1);
  const bad = used.find((d) => !Number.isInteger(d) || d < 1);
  if (bad !== undefined) throw new UserFacingError('unreadable', `${name}: its header gives a dimension of ${bad} (dims ${used.join(' × ')}); every dimension must be a whole number of at least 1.`);
  const extra = header.dims.slice(4, rank + 1).reduce((a, b) => a * b, 1);
  if (extra > 1) {
    throw new UserFacingError('unreadable', `${name} holds ${extra} volumes (4-D or more); open a single 3-D volume.`);
  }
  const dims: Vec3 = [header.dims[1] ?? 1, header.dims[2] ?? 1, rank >= 3 ? (header.dims[3] ?? 1) : 1];

  const type = elementTypes[header.datatypeCode];
  if (!type) {
    throw new UserFacingError('unreadable', `${name}: NIfTI data type ${header.datatypeCode} is not supported.`);
  }
  checkVoxelBudget(name, dims, type.bytes);
  const offset = header.vox_offset;
  const minOffset = header instanceof nifti.NIFTI2 ? 540 : 348;
  if (!Number.isFinite(offset) || offset < minOffset || !Number.isInteger(offset)) {
    throw new UserFacingError('unreadable', `${name}: its header places the voxels at byte ${offset}, which is not a valid offset (at least ${minOffset}).`);
  }
  return { header, dims, type, offset, end: offset + dims[0] * dims[1] * dims[2] * type.bytes };
}

/** Parse an uncompressed NIfTI byte buffer. */
export function niftiToVolume(name: string, data: ArrayBuffer): Volume {
  const { header, dims, type, offset, end } = niftiLayout(name, data);
  const count = dims[0] * dims[1] * dims[2];
  if (end > data.byteLength) {
    throw new UserFacingError(
      'unreadable',
      `${name} is truncated: ${count * type.bytes} bytes of voxels expected, ${Math.max(0, data.byteLength - offset)} present.`,
    );
  }
  const raw = data.slice(offset, end);
  if (!header.littleEndian && type.bytes > 1) swapBytes(new Uint8Array(raw), type.bytes);
  let voxels: VoxelArray = new type.ctor(raw);

  const slope = header.scl_slope;
  const inter = header.scl_inter;
  if (Number.isFinite(slope) && slope !== 0 && !(slope === 1 && inter === 0)) {
    if (!Number.isFinite(inter)) throw new UserFacingError('unreadable', `${name}: its intensity scaling has slope ${slope} but intercept ${inter}.`);
    voxels = Float32Array.from(voxels as ArrayLike<number>, (v) => v * slope + inter);
  }

  const { affine, warnings } = chooseAffine(name, header, data);
  return { name, dims, ...geometryFromRasAffine(affine), voxelType: voxelTypeOf(voxels), voxels, ...(warnings.length > 0 ? { warnings } : {}) };
}

/**
 * The sform when it is set (ITK's choice), else the header's own (qform, or pixel sizes). A
 * sform with non-finite entries is never used: the qform stands in with a warning, and without
 * a usable qform the file is refused rather than placed nowhere.
 */
function chooseAffine(name: string, header: nifti.NIFTI1 | nifti.NIFTI2, data: ArrayBuffer): { affine: Affine; warnings: string[] } {
  const finite = (a: Affine): boolean => a.every((row) => row.every(Number.isFinite));
  if (header.sform_code > 0) {
    const sform = readSform(header, data);
    if (finite(sform)) return { affine: sform, warnings: [] };
    const qform = header.qform_code > 0 ? header.getQformMat() : null;
    if (qform && finite(qform)) {
      return { affine: [...qform.slice(0, 3), [0, 0, 0, 1]], warnings: [`${name}: the sform of its header holds non-numbers (NaN); the qform places the volume instead.`] };
    }
    throw new UserFacingError('unreadable', `${name}: the sform of its header holds non-numbers (NaN) and there is no usable qform; the volume cannot be placed in the patient.`);
  }
  if (!finite(header.affine)) throw new UserFacingError('unreadable', `${name}: the geometry of its header (qform or pixel sizes) holds non-numbers; the volume cannot be placed in the patient.`);
  return { affine: header.affine, warnings: [] };
}

/** The sform rows straight from the header bytes (offsets of NIfTI-1 and NIfTI-2 differ). */
function readSform(header: nifti.NIFTI1 | nifti.NIFTI2, data: ArrayBuffer): Affine {
  const view = new DataView(data);
  const isV2 = header instanceof nifti.NIFTI2;
  const [start, size] = isV2 ? [400, 8] : [280, 4];
  const rows: number[][] = [];
  for (let r = 0; r < 3; r++) {
    const row: number[] = [];
    for (let c = 0; c < 4; c++) {
      const at = start + (r * 4 + c) * size;
      row.push(isV2 ? view.getFloat64(at, header.littleEndian) : view.getFloat32(at, header.littleEndian));
    }
    rows.push(row);
  }
  rows.push([0, 0, 0, 1]);
  return rows;
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}
