/**
 * Label map export as NIfTI-1 (`.nii.gz` or `.nii`): uint8, the source volume's grid and
 * geometry in both the sform and the qform, the description in `descrip` and 0..highest label
 * value in cal_min/cal_max, plus an ITK-SNAP label description file beside it
 * (`<name>.label.txt`, see itksnap-labels.ts) with every segment's name and colour.
 *
 * Invariants: nothing is reported saved until both files have been read back and compared: the
 * NIfTI with our reader (every voxel, the sform geometry) and nifti-reader-js (the qform, which
 * our reader does not use), the label file with the parser. Both writes are atomic, and the label
 * file is written from inside the NIfTI's check, so a failure in either leaves both earlier files
 * as they were (only a failed final rename of the NIfTI, after the label file replaced its
 * predecessor, could split them). The sform must match the source to 0.001 mm at every grid
 * corner; the qform too, except where NIfTI cannot hold it: none for a sheared (gantry-tilt)
 * grid, and for grids a fraction of a degree off the axes only as close as a float32 quaternion
 * can come (qformErrorMm, under 0.1 mm), which the report then states.
 *
 * Rejected with a message that says why, before anything is written (shared with seg-nrrd.ts):
 * a label map whose size is not the volume's, a label value in the map that no segment
 * describes, segment values outside 1..255 or repeated, colours outside 0..255, empty names,
 * non-finite geometry, a target whose folder does not exist or whose path is a folder, and for
 * this exporter a name not ending in .nii.gz or .nii.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { UserFacingError } from '../../../common/contract/result.js';
import { indexToPatient, type Vec3 } from '../../../common/geometry.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { geometryFromRasAffine } from '../imaging/geometry.js';
import { niftiToVolume } from '../imaging/nifti.js';
import { encodeNiftiFile, qformErrorMm } from '../imaging/nifti-write.js';
import type { Geometry } from '../imaging/volume.js';
import { encodeItkSnapLabels, itkSnapLabelPath, itkSnapLabelsOf, parseItkSnapLabels, type ItkSnapLabel } from './itksnap-labels.js';
import type { ExportReport, ExportSegment, LabelExportInput } from './segments.js';

const gunzipAsync = promisify(gunzip);

/** How far (mm) a read-back grid corner may lie from the source's: float32 affines need this. */
export const GEOMETRY_TOLERANCE_MM = 1e-3;

// ---- shared by the label exporters -------------------------------------------------------------

/** Voxel bounding box `[i0, i1, j0, j1, k0, k1]`, inclusive; `[0, -1, 0, -1, 0, -1]` when empty (Slicer's). */
export type Extent = readonly [number, number, number, number, number, number];
export const EMPTY_EXTENT: Extent = [0, -1, 0, -1, 0, -1];

export interface LabelStats {
  /** The segments, sorted by label value. */
  readonly segments: readonly ExportSegment[];
  /** Voxels per label value (index 0..255). */
  readonly counts: Uint32Array;
  /** Bounding box of each label value (index 0..255). */
  readonly extents: readonly Extent[];
}

/** "1 234 567": digit groups a user can read in a report. */
export const formatCount = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

const invalid = (message: string): UserFacingError => new UserFacingError('invalid-argument', message);

/** Check what every exporter needs of its input, and count and bound each label in one pass. */
export function checkLabelInput(input: LabelExportInput): LabelStats {
  const { volume: v, labels } = input;
  const [nx, ny, nz] = v.dims;
  if (labels.length !== nx * ny * nz) {
    throw invalid(`The label map has ${formatCount(labels.length)} voxels but ${v.name} has ${formatCount(nx * ny * nz)} (${nx}×${ny}×${nz}); nothing was saved.`);
  }
  if (![...v.spacing, ...v.origin, ...v.direction].every(Number.isFinite) || v.spacing.some((s) => s <= 0)) {
    throw invalid(`${v.name} has no valid geometry (spacing, origin or direction); nothing was saved.`);
  }
  const segments = [...input.segments].sort((a, b) => a.labelValue - b.labelValue);
  const described = new Set<number>();
  for (const s of segments) {
    if (!Number.isInteger(s.labelValue) || s.labelValue < 1 || s.labelValue > 255) {
      throw invalid(`Segment "${s.name}" has label value ${s.labelValue}; label values are 1..255. Nothing was saved.`);
    }
    if (described.has(s.labelValue)) throw invalid(`Two segments have label value ${s.labelValue}; nothing was saved.`);
    if (!s.color.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
      throw invalid(`Segment "${s.name}" has colour ${s.color.join(', ')}; components are whole numbers 0..255. Nothing was saved.`);
    }
    if (s.name.trim() === '') throw invalid(`Segment ${s.labelValue} has no name; nothing was saved.`);
    described.add(s.labelValue);
  }

  const counts = new Uint32Array(256);
  // Per label: i0, i1, j0, j1, k0, k1, starting empty.
  const box = new Int32Array(256 * 6);
  for (let l = 0; l < 256; l++) box.set([nx, -1, ny, -1, nz, -1], l * 6);
  let at = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, at++) {
        const l = labels[at] as number;
        counts[l]!++;
        if (l === 0) continue;
        const b = l * 6;
        if (i < box[b]!) box[b] = i;
        if (i > box[b + 1]!) box[b + 1] = i;
        if (j < box[b + 2]!) box[b + 2] = j;
        if (j > box[b + 3]!) box[b + 3] = j;
        if (k < box[b + 4]!) box[b + 4] = k;
        if (k > box[b + 5]!) box[b + 5] = k;
      }
    }
  }
  for (let l = 1; l < 256; l++) {
    if (counts[l]! > 0 && !described.has(l)) {
      throw invalid(`Label value ${l} is in ${formatCount(counts[l]!)} voxels but no segment describes it (name, colour); nothing was saved.`);
    }
  }
  const extents = Array.from({ length: 256 }, (_, l): Extent => (counts[l]! > 0 ? (Array.from(box.subarray(l * 6, l * 6 + 6)) as unknown as Extent) : EMPTY_EXTENT));
  return { segments, counts, extents };
}

/** Refuse a target whose folder is missing or whose path is a folder, with a message that says so. */
export async function checkExportTarget(path: string): Promise<void> {
  const name = basename(path);
  const folder = dirname(path);
  const dir = await stat(folder).catch(() => null);
  if (!dir) throw invalid(`Cannot save ${name}: the folder ${folder} does not exist.`);
  if (!dir.isDirectory()) throw invalid(`Cannot save ${name}: ${folder} is a file, not a folder.`);
  const target = await stat(path).catch(() => null);
  if (target?.isDirectory()) throw invalid(`Cannot save ${name}: there is a folder with that name in ${folder}; choose another name.`);
}

/** Largest distance (mm) between the world positions of the same grid corner in two geometries. */
export function cornerDistanceMm(a: Geometry, b: Geometry): number {
  if (a.dims.some((n, i) => n !== b.dims[i])) return Infinity;
  let worst = 0;
  for (let corner = 0; corner < 8; corner++) {
    const ijk = [0, 1, 2].map((c) => ((corner >> c) & 1 ? a.dims[c as 0 | 1 | 2] - 1 : 0)) as unknown as Vec3;
    const pa = indexToPatient(a, ijk);
    const pb = indexToPatient(b, ijk);
    worst = Math.max(worst, Math.hypot(pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]));
  }
  return worst;
}

/**
 * writeFileAtomic, with any error that reaches here unexplained (an OS error from its clean-up,
 * such as ENAMETOOLONG from removing a temporary whose name was too long to create) turned into
 * a message a user can act on. Every such error comes before the final rename, so the earlier
 * file is untouched.
 */
export async function saveAtomic(path: string, chunks: readonly Uint8Array[], verify: (tmp: string) => Promise<void>): Promise<void> {
  try {
    await writeFileAtomic(path, chunks, { verify });
  } catch (e) {
    if (e instanceof UserFacingError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENAMETOOLONG' ? 'the name is too long for this file system; choose a shorter one' : err.message;
    throw new UserFacingError('internal', `Could not save ${basename(path)}: ${why}. The previous version is unchanged.`);
  }
}

/** The error that abandons a write whose read-back differs: a bug, said plainly. */
export const readBackFailed = (name: string, what: string): UserFacingError =>
  new UserFacingError('internal', `Saving ${name} was abandoned: reading it back found ${what}. The previous version is unchanged.`);

/** Index of the first differing byte, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

// ---- NIfTI + ITK-SNAP --------------------------------------------------------------------------

/** NIfTI-1 `descrip` holds 79 bytes; keep printable ASCII so it reads back as written. */
const niftiDescription = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 79);

export async function writeNiftiLabels(input: LabelExportInput, outPath: string): Promise<ExportReport> {
  const name = basename(outPath);
  if (!/\.nii(\.gz)?$/i.test(outPath)) throw invalid(`Cannot save ${name}: a NIfTI label map is named .nii.gz (or .nii).`);
  const stats = checkLabelInput(input);
  const labelPath = itkSnapLabelPath(outPath);
  await checkExportTarget(outPath);
  await checkExportTarget(labelPath);

  const v = input.volume;
  const description = niftiDescription(input.description);
  const highest = stats.segments.at(-1)?.labelValue ?? 0;
  const bytes = encodeNiftiFile(outPath, {
    dims: v.dims,
    spacing: v.spacing,
    origin: v.origin,
    direction: v.direction,
    voxelType: 'uint8',
    voxels: input.labels,
    description,
    displayRange: [0, highest],
  });
  const table = itkSnapLabelsOf(stats.segments);
  const text = Buffer.from(encodeItkSnapLabels(table), 'utf8');

  let qform = '';
  await saveAtomic(outPath, [bytes], async (tmp) => {
    qform = await verifyNifti(tmp, name, input, description, highest);
    await saveAtomic(labelPath, [text], async (t) => verifyLabelFile(t, basename(labelPath), table));
  });
  return {
    files: [
      { path: outPath, bytes: bytes.length },
      { path: labelPath, bytes: text.length },
    ],
    verified:
      `${stats.segments.length} segments, ${formatCount(input.labels.length)} voxels equal, geometry equal within ` +
      `${GEOMETRY_TOLERANCE_MM} mm (${qform}); ${table.length} label descriptions (with Clear Label) equal`,
  };
}

/** Read the written NIfTI back and compare; returns which affines were compared. */
async function verifyNifti(tmp: string, name: string, input: LabelExportInput, description: string, highest: number): Promise<string> {
  let raw: Buffer = await readFile(tmp);
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = await gunzipAsync(raw);
  const data = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  const back = niftiToVolume(name, data);
  const header = nifti.readHeader(data);
  if (!(header instanceof nifti.NIFTI1)) throw readBackFailed(name, 'no NIfTI-1 header');
  if (header.datatypeCode !== 2) throw readBackFailed(name, `data type ${header.datatypeCode} instead of uint8`);
  if (!(back.voxels instanceof Uint8Array)) throw readBackFailed(name, 'scaled voxel values');
  const diff = firstDifference(back.voxels, input.labels);
  if (diff >= 0) throw readBackFailed(name, `a different label at voxel ${diff}`);
  const sform = cornerDistanceMm(back, input.volume);
  if (header.sform_code < 1 || !(sform <= GEOMETRY_TOLERANCE_MM)) throw readBackFailed(name, `the sform ${sform.toFixed(4)} mm away from the source geometry`);
  const limit = qformErrorMm(input.volume);
  let compared = 'sform; no qform, the grid is sheared';
  if (header.qform_code > 0) {
    const q = { dims: back.dims, ...geometryFromRasAffine(header.getQformMat()) };
    const d = cornerDistanceMm(q, input.volume);
    if (limit === null || !(d <= GEOMETRY_TOLERANCE_MM + limit)) throw readBackFailed(name, `the qform ${d.toFixed(4)} mm away from the source geometry`);
    compared = d <= GEOMETRY_TOLERANCE_MM ? 'sform and qform' : `sform; qform within ${d.toFixed(3)} mm, as close as its float32 quaternion comes`;
  } else if (limit !== null) throw readBackFailed(name, 'no qform');
  if (header.description.replace(/\0.*$/s, '') !== description) throw readBackFailed(name, 'a different description');
  if (header.cal_min !== 0 || header.cal_max !== highest) throw readBackFailed(name, `display range ${header.cal_min}..${header.cal_max} instead of 0..${highest}`);
  return compared;
}

async function verifyLabelFile(tmp: string, name: string, table: readonly ItkSnapLabel[]): Promise<void> {
  let back: ItkSnapLabel[];
  try {
    back = parseItkSnapLabels(await readFile(tmp, 'utf8'));
  } catch (e) {
    throw readBackFailed(name, (e as Error).message);
  }
  if (back.length !== table.length) throw readBackFailed(name, `${back.length} labels instead of ${table.length}`);
  table.forEach((t, n) => {
    const b = back[n]!;
    const same = b.index === t.index && b.rgb.every((c, i) => c === t.rgb[i]) && b.alpha === t.alpha && b.visible === t.visible && b.mesh === t.mesh && b.name === t.name;
    if (!same) throw readBackFailed(name, `label ${t.index} ("${t.name}") read back as ${b.index} ("${b.name}")`);
  });
}
