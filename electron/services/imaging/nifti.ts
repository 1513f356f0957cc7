/**
 * NIfTI-1/NIfTI-2 (.nii, .nii.gz) into a `Volume`. Header parsing is nifti-reader-js; the
 * affine choice is ours because the library prefers the qform while ITK (and so every tool our
 * users compare against) prefers the sform when its code is set.
 *
 * Rejected with a clear message: files that are not NIfTI, truncated data, 4-D series, and
 * element types we cannot keep exactly (64-bit integers, complex, RGB).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import * as nifti from 'nifti-reader-js';
import type { VoxelArray } from '../../../common/contract/volume.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { fileError } from '../storage/file-error.js';
import { geometryFromRasAffine, type Affine } from './geometry.js';
import { voxelTypeOf, type Vec3, type Volume } from './volume.js';

const gunzipAsync = promisify(gunzip);

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
  const file = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw fileError(name, e);
  });
  let bytes: Buffer = file;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    bytes = await gunzipAsync(file).catch(() => {
      throw new UserFacingError('unreadable', `${name} is gzip-compressed but the data is corrupt or truncated.`);
    });
  }
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return niftiToVolume(name, data);
}

/** Parse an uncompressed NIfTI byte buffer. */
export function niftiToVolume(name: string, data: ArrayBuffer): Volume {
  if (!nifti.isNIFTI(data)) throw new UserFacingError('unreadable', `${name} is not a NIfTI-1 or NIfTI-2 file.`);
  const header = nifti.readHeader(data);
  if (!header) throw new UserFacingError('unreadable', `${name}: the NIfTI header could not be read.`);

  const rank = header.dims[0] ?? 0;
  const extra = header.dims.slice(4, Math.max(4, rank + 1)).reduce((a, b) => a * Math.max(1, b), 1);
  if (rank < 2 || rank > 7) throw new UserFacingError('unreadable', `${name}: invalid NIfTI dimension count ${rank}.`);
  if (extra > 1) {
    throw new UserFacingError('unreadable', `${name} holds ${extra} volumes (4-D or more); open a single 3-D volume.`);
  }
  const dims: Vec3 = [header.dims[1] ?? 1, header.dims[2] ?? 1, rank >= 3 ? (header.dims[3] ?? 1) : 1];

  const type = elementTypes[header.datatypeCode];
  if (!type) {
    throw new UserFacingError('unreadable', `${name}: NIfTI data type ${header.datatypeCode} is not supported.`);
  }
  const count = dims[0] * dims[1] * dims[2];
  const offset = header.vox_offset;
  if (offset + count * type.bytes > data.byteLength) {
    throw new UserFacingError(
      'unreadable',
      `${name} is truncated: ${count * type.bytes} bytes of voxels expected, ${Math.max(0, data.byteLength - offset)} present.`,
    );
  }
  const raw = data.slice(offset, offset + count * type.bytes);
  if (!header.littleEndian && type.bytes > 1) swapBytes(new Uint8Array(raw), type.bytes);
  let voxels: VoxelArray = new type.ctor(raw);

  const slope = header.scl_slope;
  const inter = header.scl_inter;
  if (Number.isFinite(slope) && slope !== 0 && !(slope === 1 && inter === 0)) {
    voxels = Float32Array.from(voxels as ArrayLike<number>, (v) => v * slope + inter);
  }

  const affine: Affine = header.sform_code > 0 ? readSform(header, data) : header.affine;
  return { name, dims, ...geometryFromRasAffine(affine), voxelType: voxelTypeOf(voxels), voxels };
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
