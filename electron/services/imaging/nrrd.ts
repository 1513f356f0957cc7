/**
 * NRRD (.nrrd with attached data, .nhdr with a detached data file, and 3D Slicer's .seg.nrrd)
 * into a `Volume`. NRRD is a short text header; we parse it here (the one npm parser, nrrd-js,
 * is unmaintained and ignores `space`, so RAS files would come out mirrored) and read raw or
 * gzip data with node:zlib.
 *
 * Invariant: geometry is converted to LPS from whatever `space` the header names (RAS, LAS,
 * LPS…); without `space directions` the axes are the identity scaled by `spacings`.
 *
 * Rejected with a clear message: files that are not NRRD, more than three spatial axes or any
 * non-spatial axis longer than 1 (Slicer's overlapping-segment layers, vector images), 64-bit
 * integers, bzip2 or multi-file data, unknown spaces, and truncated or corrupt data.
 *
 * Key/value pairs (`key:=value`, where Slicer keeps segment names, colours and extents) are
 * returned by `readNrrdWithFields`, decoded as UTF-8 with NRRD's `\n` and `\\` escapes undone.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import type { VoxelArray } from '../../../common/contract/volume.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { fileError } from '../storage/file-error.js';
import { checkVoxelBudget, gunzipBounded, readRegularFile, VOXEL_BUDGET_BYTES } from '../storage/safe-read.js';
import { voxelTypeOf, type Mat3, type Vec3, type Volume } from './volume.js';


export const isNrrdPath = (path: string): boolean => /\.(nrrd|nhdr)$/i.test(path);

type Ctor = { new (buffer: ArrayBuffer): VoxelArray; BYTES_PER_ELEMENT: number };
const TYPES: Record<string, Ctor> = {};
for (const [names, ctor] of [
  [['signed char', 'int8', 'int8_t'], Int8Array],
  [['uchar', 'unsigned char', 'uint8', 'uint8_t'], Uint8Array],
  [['short', 'short int', 'signed short', 'signed short int', 'int16', 'int16_t'], Int16Array],
  [['ushort', 'unsigned short', 'unsigned short int', 'uint16', 'uint16_t'], Uint16Array],
  [['int', 'signed int', 'int32', 'int32_t'], Int32Array],
  [['uint', 'unsigned int', 'uint32', 'uint32_t'], Uint32Array],
  [['float'], Float32Array],
  [['double'], Float64Array],
] as const) {
  for (const n of names) TYPES[n] = ctor;
}

/** Sign of each world axis relative to LPS, by the header's `space`. */
const SPACES: Readonly<Record<string, Vec3>> = {
  'left-posterior-superior': [1, 1, 1],
  lps: [1, 1, 1],
  'right-anterior-superior': [-1, -1, 1],
  ras: [-1, -1, 1],
  'left-anterior-superior': [1, -1, 1],
  las: [1, -1, 1],
};

function vector(text: string): number[] | null {
  const m = /^\(([^)]*)\)$/.exec(text.trim());
  return m?.[1] ? m[1].split(',').map((x) => Number(x.trim())) : null;
}

export async function readNrrd(path: string): Promise<Volume> {
  return (await readNrrdWithFields(path)).volume;
}

/** A NRRD volume and its header's key/value pairs, in file order. */
export interface NrrdWithFields {
  readonly volume: Volume;
  readonly keyValues: ReadonlyMap<string, string>;
}

/** NRRD's escapes in key/value values: `\n` is a newline, `\\` a backslash. */
function unescapeValue(v: string): string {
  return v.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * `layers`: accept one non-spatial first axis of any size (3D Slicer's overlapping-segment
 * layers, `sizes: L X Y Z` with `space directions: none …`); the voxels then hold L values per
 * voxel, layer fastest, and `layers` says how many.
 */
export async function readNrrdWithFields(path: string, opts: { layers?: boolean } = {}): Promise<NrrdWithFields & { readonly layers: number }> {
  const name = basename(path);
  const file = await readRegularFile(path, { name });
  if (file.subarray(0, 4).toString('latin1') !== 'NRRD') throw new UserFacingError('unreadable', `${name} is not a NRRD file.`);

  // The header ends at the first empty line; attached data starts right after it.
  const text = file.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const headerText = end ? text.slice(0, end.index) : text;
  const dataStart = end ? end.index + end[0].length : file.length;
  const fields = new Map<string, string>();
  const keyValues = new Map<string, string>();
  // latin1 maps bytes one to one, so the header's byte length is its latin1 length.
  const headerUtf8 = file.subarray(0, headerText.length).toString('utf8');
  for (const line of headerUtf8.split(/\r?\n/).slice(1)) {
    if (line.startsWith('#')) continue;
    const kv = line.indexOf(':=');
    if (kv > 0) {
      keyValues.set(line.slice(0, kv), unescapeValue(line.slice(kv + 2)));
      continue;
    }
    const at = line.indexOf(': ');
    if (at > 0) fields.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 2).trim());
  }
  const field = (k: string): string | undefined => fields.get(k);
  const bad = (why: string): UserFacingError => new UserFacingError('unreadable', `${name}: ${why}.`);

  const ctor = TYPES[(field('type') ?? '').toLowerCase()];
  if (!ctor) throw bad(`NRRD type "${field('type') ?? ''}" is not supported`);
  const sizes = (field('sizes') ?? '').split(/\s+/).map(Number);
  const dimension = Number(field('dimension') ?? sizes.length);
  if (sizes.length !== dimension || sizes.some((s) => !Number.isInteger(s) || s < 1)) throw bad('the "sizes" field is invalid');

  const space = field('space')?.toLowerCase();
  const signs = space === undefined ? [1, 1, 1] : SPACES[space];
  if (!signs) throw bad(`NRRD space "${field('space')}" is not a patient space (use RAS or LPS)`);
  const directionsText = field('space directions');
  const directions = directionsText?.split(/\s+(?=\(|none)/).map((d) => (d.trim() === 'none' ? null : vector(d)));
  // Non-spatial axes ("none" direction, e.g. Slicer's segment layers) may only have size 1.
  const spatial: number[] = [];
  let layers = 1;
  for (let a = 0; a < dimension; a++) {
    if (directions ? directions[a] !== null : a < 3) spatial.push(a);
    else if (opts.layers && a === 0 && directions) layers = sizes[0] ?? 1;
    else if ((sizes[a] ?? 1) > 1) throw bad(`it holds ${sizes[a]} values per voxel (layers or components); open a single 3-D label map or image`);
  }
  if (spatial.length > 3) throw bad(`${spatial.length} spatial axes; open a 3-D volume`);
  const dims = [0, 1, 2].map((i) => (spatial[i] === undefined ? 1 : (sizes[spatial[i]] as number))) as unknown as Vec3;
  checkVoxelBudget(name, dims, ctor.BYTES_PER_ELEMENT * layers);

  const columns: Vec3[] = [];
  const spacings = (field('spacings') ?? '').split(/\s+/).map(Number);
  for (let i = 0; i < 3; i++) {
    const axis = spatial[i];
    const d = axis === undefined ? null : (directions?.[axis] ?? null);
    if (d && d.length === 3 && d.every(Number.isFinite)) columns.push([d[0]! * signs[0], d[1]! * signs[1], d[2]! * signs[2]]);
    else {
      const s = axis === undefined ? 1 : spacings[axis];
      const e: [number, number, number] = [0, 0, 0];
      e[i] = Number.isFinite(s) && s! > 0 ? s! : 1;
      columns.push(e);
    }
  }
  const spacing = columns.map((c) => Math.hypot(...c) || 1) as unknown as Vec3;
  const direction = [0, 1, 2].flatMap((r) => columns.map((c, i) => (c[r] as number) / (spacing[i] as number))) as unknown as Mat3;
  const o = vector(field('space origin') ?? '') ?? [0, 0, 0];
  const origin: Vec3 = [(o[0] ?? 0) * signs[0], (o[1] ?? 0) * signs[1], (o[2] ?? 0) * signs[2]];

  const dataFile = field('data file') ?? field('datafile');
  if (dataFile && /^LIST|%/.test(dataFile)) throw bad('multi-file NRRD data is not supported');
  const encoding = (field('encoding') ?? 'raw').toLowerCase();
  const gzipped = encoding === 'gzip' || encoding === 'gz';
  if (!gzipped && encoding !== 'raw') throw bad(`NRRD encoding "${encoding}" is not supported (use raw or gzip)`);
  const count = dims[0] * dims[1] * dims[2] * layers;
  const bytes = count * ctor.BYTES_PER_ELEMENT;
  // Raw detached data may carry a header of its own; NRRD says to skip from the end then.
  const skip = Number(field('byte skip') ?? 0);
  if (!Number.isInteger(skip) || skip < -1) throw bad(`the "byte skip" field (${field('byte skip')}) is invalid`);
  // What the header declares bounds what is read (raw) or inflated (gzip).
  const declared = skip === -1 ? VOXEL_BUDGET_BYTES : skip + bytes;
  let raw: Buffer = file.subarray(dataStart);
  if (dataFile) raw = await readDataFile(path, dataFile, gzipped ? VOXEL_BUDGET_BYTES : declared, !gzipped && skip !== -1);
  if (gzipped) raw = await gunzipBounded(raw, declared, name);

  const offset = skip === -1 ? raw.length - bytes : skip;
  if (offset < 0 || offset + bytes > raw.length) {
    throw bad(`the data is truncated: ${bytes} bytes of voxels expected, ${Math.max(0, raw.length - Math.max(0, offset))} present`);
  }
  const data = Uint8Array.prototype.slice.call(raw, offset, offset + bytes);
  const bigEndian = (field('endian') ?? 'little').toLowerCase() === 'big';
  if (bigEndian && ctor.BYTES_PER_ELEMENT > 1) swap(data, ctor.BYTES_PER_ELEMENT);
  const voxels = new ctor(data.buffer);
  return { volume: { name, dims, spacing, origin, direction, voxelType: voxelTypeOf(voxels), voxels }, keyValues, layers };
}

/**
 * A detached header's data file: a regular file in the header's folder (or below it), of which
 * at most `maxBytes` are read (`firstBytes`: raw data the header places at the start). A header may name any path; reading /dev/zero, a pipe or a file elsewhere on
 * the disk as voxels is refused with the data file named.
 */
async function readDataFile(headerPath: string, dataFile: string, maxBytes: number, firstBytes: boolean): Promise<Buffer> {
  const folder = await realpath(dirname(headerPath));
  const wanted = isAbsolute(dataFile) ? dataFile : join(dirname(headerPath), dataFile);
  const role = `the data file of ${basename(headerPath)},`;
  const real = await realpath(wanted).catch((e: NodeJS.ErrnoException) => {
    throw fileError(`${role} ${dataFile}`, e);
  });
  if (relative(folder, real).startsWith('..') || isAbsolute(relative(folder, real))) {
    throw new UserFacingError('not-permitted', `Cannot read ${role} ${dataFile}: it is outside the header's folder; a detached header may only name data beside it.`);
  }
  return readRegularFile(real, { name: dataFile, role, maxBytes, firstBytes });
}

function swap(b: Uint8Array, w: number): void {
  for (let i = 0; i < b.length; i += w) b.subarray(i, i + w).reverse();
}
