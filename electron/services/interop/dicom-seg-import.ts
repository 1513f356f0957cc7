/**
 * A DICOM Segmentation read onto a volume: BINARY (1 bit per pixel), FRACTIONAL (thresholded at
 * half the Maximum Fractional Value) and LABELMAP (each pixel holds its segment number), as 3D
 * Slicer/dcmqi, highdicom and OHIF write them. Each frame is placed by its Plane Position
 * (Patient) and the plane orientation and pixel spacing, shared or per frame; a frame without a
 * position is placed on the source slice its Referenced SOP Instance UID names.
 *
 * Invariants: segment values are the segments' order by Segment Number (1..n); where segments
 * overlap, the later segment wins and a warning counts the voxels. Frames on the volume's lattice
 * are copied exactly; otherwise they are stacked on their own grid and resampled onto the volume
 * by nearest label (place-labels), with its warning.
 *
 * Refused, naming the file: a SEG whose Frame of Reference differs from the DICOM volume's and
 * none of whose frames references one of its images; compressed pixel data; frames that fall
 * wholly outside the volume; off-lattice frames not on one evenly spaced grid; more than 255
 * segments.
 */
import { basename } from 'node:path';
import type { NaturalDataset } from 'dcmjs';
import { patientToIndex, type Vec3 } from '../../../common/geometry.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { DicomIdentity, Geometry } from '../imaging/volume.js';
import { checkVoxelBudget } from '../storage/safe-read.js';
import { dicomSegClasses } from './dicom-seg-class-table.js';
import { many, one, readSegDataset, seq, text } from './dicom-seg-dataset.js';
import { placeLabels } from './place-labels.js';
import { LabelGridError } from './reorient-labels.js';
import type { TableClass } from './table-class.js';

const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '']);
const ON_LATTICE = 0.01; // voxel units

export interface SegOnVolume {
  readonly labels: Uint8Array;
  readonly classes: TableClass[];
  readonly warnings: string[];
}

/** A functional group item from the frame's own groups, else the shared ones. */
function group(shared: NaturalDataset | undefined, frame: NaturalDataset | undefined, key: string): NaturalDataset | undefined {
  return seq(frame, key)[0] ?? seq(shared, key)[0];
}

export async function readDicomSegOnto(path: string, vol: Geometry & { readonly dicom?: DicomIdentity | undefined }): Promise<SegOnVolume> {
  const name = basename(path);
  const ds = await readSegDataset(path);
  const bad = (why: string): UserFacingError => new UserFacingError('unreadable', `${name}: ${why}.`);
  const ts = text(ds, '_transferSyntaxUID');
  if (!UNCOMPRESSED.has(ts)) throw bad(`its pixel data is compressed (transfer syntax ${ts}); convert it to an uncompressed one first (e.g. gdcmconv --raw)`);
  const warnings: string[] = [];
  const type = text(ds, 'SegmentationType').toUpperCase() || 'BINARY';
  if (!['BINARY', 'FRACTIONAL', 'LABELMAP'].includes(type)) throw bad(`Segmentation Type ${type} is not BINARY, FRACTIONAL or LABELMAP`);
  const rows = Number(one(ds, 'Rows'));
  const cols = Number(one(ds, 'Columns'));
  const frames = Number(one(ds, 'NumberOfFrames') ?? 1);
  const bits = Number(one(ds, 'BitsAllocated'));
  if (!(rows > 0 && cols > 0 && frames > 0)) throw bad('it has no Rows, Columns or Number of Frames');

  const classes = dicomSegClasses(ds, name);
  if (classes.length > 255) throw bad(`it has ${classes.length} segments; a label map holds at most 255`);
  // Segment Number → label value (the segments' order by number).
  const valueOf = new Map(classes.map((c, n) => [c.value, n + 1]));
  const ordered = classes.map((c, n) => ({ ...c, value: n + 1 }));

  const shared = seq(ds, 'SharedFunctionalGroupsSequence')[0];
  const perFrame = seq(ds, 'PerFrameFunctionalGroupsSequence');
  const referenced = (f: NaturalDataset | undefined): string[] =>
    seq(f, 'DerivationImageSequence').flatMap((d) => seq(d, 'SourceImageSequence').map((s) => text(s, 'ReferencedSOPInstanceUID')));

  // Does the SEG belong to this volume? Same frame of reference, or frames naming its images.
  const volumeUids = new Map((vol.dicom?.sopInstanceUIDs ?? []).map((u, k) => [u, k]));
  const segFor = text(ds, 'FrameOfReferenceUID');
  if (vol.dicom) {
    const sameFrame = segFor !== '' && segFor === vol.dicom.frameOfReferenceUID;
    const namesOurs = perFrame.some((f) => referenced(f).some((u) => volumeUids.has(u)));
    if (!sameFrame && !namesOurs) {
      throw bad(`it labels another acquisition: its Frame of Reference UID (${segFor || 'none'}) is not the volume's (${vol.dicom.frameOfReferenceUID || 'none'}) and none of its frames references an image of this series`);
    }
  } else {
    warnings.push(`${name} was placed by its frames' positions alone: the volume was not read from DICOM, so its frame of reference could not be checked.`);
  }

  const pixels = many(ds, 'PixelData')[0];
  const data = pixels instanceof ArrayBuffer ? new Uint8Array(pixels) : ArrayBuffer.isView(pixels) ? new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) : new Uint8Array(0);
  const frameSize = rows * cols;
  const need = type === 'BINARY' ? Math.ceil((frames * frameSize) / 8) : frames * frameSize * (bits / 8);
  if (type === 'BINARY' ? bits !== 1 : bits !== 8 && !(type === 'LABELMAP' && bits === 16)) throw bad(`a ${type} SEG with ${bits} bits allocated is not valid`);
  if (data.length < need) throw bad(`its Pixel Data holds ${data.length} bytes, too few for ${frames} frames of ${cols}×${rows}`);
  const maxFraction = Number(one(ds, 'MaximumFractionalValue') ?? 255) || 255;
  const words = bits === 16 ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + need)) : undefined;
  /** The segment number a frame pixel sets (0: none). */
  const pixel = (f: number, p: number, segment: number): number => {
    const at = f * frameSize + p;
    if (type === 'BINARY') return (data[at >>> 3]! >>> (at & 7)) & 1 ? segment : 0;
    if (type === 'FRACTIONAL') return data[at]! >= maxFraction / 2 ? segment : 0;
    return words ? words[at]! : data[at]!;
  };

  // Each frame's plane: by its position, or by the source image it references.
  const planes = Array.from({ length: frames }, (_, f) => {
    const item = perFrame[f];
    const segNumber = Number(one(group(shared, item, 'SegmentIdentificationSequence'), 'ReferencedSegmentNumber') ?? 0);
    if (type !== 'LABELMAP' && !valueOf.has(segNumber)) throw bad(`frame ${f + 1} names segment ${segNumber}, which the Segment Sequence does not describe`);
    const position = many(group(shared, item, 'PlanePositionSequence'), 'ImagePositionPatient').map(Number);
    const orientation = many(group(shared, item, 'PlaneOrientationSequence'), 'ImageOrientationPatient').map(Number);
    const spacing = many(group(shared, item, 'PixelMeasuresSequence'), 'PixelSpacing').map(Number);
    const placed = position.length === 3 && orientation.length === 6 && spacing.length === 2 && [...position, ...orientation, ...spacing].every(Number.isFinite);
    const k = referenced(item).map((u) => volumeUids.get(u)).find((x) => x !== undefined);
    if (!placed && (k === undefined || cols !== vol.dims[0] || rows !== vol.dims[1])) throw bad(`frame ${f + 1} has neither a plane position nor a reference to an image of this series`);
    return { segNumber, plane: placed ? { position, orientation, spacing } : null, k };
  });
  const lattice = planes.map(({ plane, k }): Mapping => {
    if (!plane) return { base: [0, 0, k!], dc: [1, 0, 0], dr: [0, 1, 0] };
    const at = (p: readonly number[]): Vec3 => patientToIndex(vol, [p[0]!, p[1]!, p[2]!]);
    const base = at(plane.position);
    const step = (o: number, d: number): Vec3 => {
      const q = at([0, 1, 2].map((r) => plane.position[r]! + plane.orientation[o + r]! * d));
      return [q[0] - base[0], q[1] - base[1], q[2] - base[2]];
    };
    // PixelSpacing is (between rows, between columns); the first orientation vector runs along a row.
    return { base, dc: step(0, plane.spacing[1]!), dr: step(3, plane.spacing[0]!) };
  });
  const integral = (v: Vec3): boolean => v.every((x) => Math.abs(x - Math.round(x)) <= ON_LATTICE);
  const onLattice = lattice.every((m) => integral(m.base) && integral(m.dc) && integral(m.dr));

  const compose = (dims: Vec3, map: readonly Mapping[]): { out: Uint8Array; overlaps: number; outside: number; placed: number } => {
    const [nx, ny, nz] = dims;
    const out = new Uint8Array(nx * ny * nz);
    const overlap = new Uint8Array(out.length);
    let overlaps = 0;
    let outside = 0;
    let placed = 0;
    for (let f = 0; f < frames; f++) {
      const { segNumber } = planes[f]!;
      const { base, dc, dr } = map[f]!;
      const value = valueOf.get(segNumber);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const s = pixel(f, r * cols + c, segNumber);
          if (s === 0) continue;
          const v = type === 'LABELMAP' ? valueOf.get(s) : value;
          if (v === undefined) throw bad(`frame ${f + 1} holds segment number ${s}, which the Segment Sequence does not describe`);
          const i = Math.round(base[0] + c * dc[0] + r * dr[0]);
          const j = Math.round(base[1] + c * dc[1] + r * dr[1]);
          const k = Math.round(base[2] + c * dc[2] + r * dr[2]);
          if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) {
            outside++;
            continue;
          }
          placed++;
          const n = i + nx * (j + ny * k);
          if (out[n] !== 0 && out[n] !== v && overlap[n] === 0) {
            overlap[n] = 1;
            overlaps++;
          }
          // The later segment wins, whatever order the frames come in.
          if (v > out[n]!) out[n] = v;
        }
      }
    }
    return { out, overlaps, outside, placed };
  };

  if (!onLattice) {
    // Another grid (other pixel spacing, slices, orientation): the frames are stacked on their
    // own grid, which is then resampled onto the volume by nearest label.
    const grid = segGrid(planes.map((p) => p.plane), rows, cols, bad);
    checkVoxelBudget(name, grid.dims, 1);
    const own = compose(grid.dims, grid.mappings);
    let placed: ReturnType<typeof placeLabels>;
    try {
      placed = placeLabels(vol, grid, own.out);
    } catch (e) {
      if (e instanceof LabelGridError) throw bad(`${e.message} It does not label this volume`);
      throw e;
    }
    warnings.push(...placed.warnings);
    if (own.overlaps > 0) warnings.push(`${own.overlaps} voxels lie in more than one segment of ${name}; each was given the later segment.`);
    return { labels: placed.voxels, classes: ordered, warnings };
  }
  const { out, overlaps, outside, placed } = compose(vol.dims, lattice);
  if (placed === 0 && outside > 0) throw bad(`none of its ${outside} labelled pixels falls inside the volume (${vol.dims.join('×')} voxels)`);
  if (outside > 0) warnings.push(`${outside} labelled pixels of ${name} lie outside the volume and were left out.`);
  if (overlaps > 0) warnings.push(`${overlaps} voxels lie in more than one segment of ${name}; each was given the later segment.`);
  return { labels: out, classes: ordered, warnings };
}

/** Where a frame's pixels go in a target grid: index of its first pixel, change per column and per row. */
interface Mapping {
  readonly base: Vec3;
  readonly dc: Vec3;
  readonly dr: Vec3;
}

type Plane = { readonly position: number[]; readonly orientation: number[]; readonly spacing: number[] } | null;

/**
 * The SEG's own grid: its frames' rows and columns, stacked along the normal at the smallest
 * distance between distinct frame positions. Refused when frames lack a position, differ in
 * orientation or spacing, are shifted in plane, or fall between the stack's slices.
 */
function segGrid(planes: readonly Plane[], rows: number, cols: number, bad: (why: string) => Error): Geometry & { readonly mappings: Mapping[] } {
  const first = planes[0];
  if (!first || planes.some((p) => !p)) throw bad('its frames are not on the volume\'s voxel lattice and some have no plane position, so they cannot be placed');
  const same = (a: readonly number[], b: readonly number[], tol: number): boolean => a.every((x, n) => Math.abs(x - b[n]!) <= tol);
  if (planes.some((p) => !same(p!.orientation, first.orientation, 1e-4) || !same(p!.spacing, first.spacing, 1e-4))) throw bad('its frames differ in orientation or pixel spacing');
  const o = first.orientation;
  const rowDir: Vec3 = [o[0]!, o[1]!, o[2]!];
  const colDir: Vec3 = [o[3]!, o[4]!, o[5]!];
  const normal: Vec3 = [rowDir[1] * colDir[2] - rowDir[2] * colDir[1], rowDir[2] * colDir[0] - rowDir[0] * colDir[2], rowDir[0] * colDir[1] - rowDir[1] * colDir[0]];
  const along = (p: readonly number[]): number => p[0]! * normal[0] + p[1]! * normal[1] + p[2]! * normal[2];
  const depths = planes.map((p) => along(p!.position));
  const p0 = first.position;
  for (const [n, p] of planes.entries()) {
    const d = depths[n]! - depths[0]!;
    if ([0, 1, 2].some((r) => Math.abs(p!.position[r]! - p0[r]! - d * normal[r]!) > 0.01)) throw bad(`frame ${n + 1} is shifted within its plane against the first frame`);
  }
  const distinct = [...new Set(depths.map((d) => Math.round(d * 1000) / 1000))].sort((a, b) => a - b);
  const gaps = distinct.slice(1).map((d, n) => d - distinct[n]!);
  const gap = gaps.length > 0 ? Math.min(...gaps) : 1;
  const min = distinct[0]!;
  const slice = (d: number): number => (d - min) / gap;
  if (depths.some((d) => Math.abs(slice(d) - Math.round(slice(d))) > 0.01)) throw bad('its frames are not evenly spaced along their normal');
  const nz = Math.round(slice(distinct.at(-1)!)) + 1;
  const shift = min - depths[0]!;
  return {
    dims: [cols, rows, nz],
    spacing: [first.spacing[1]!, first.spacing[0]!, gap],
    origin: [p0[0]! + shift * normal[0], p0[1]! + shift * normal[1], p0[2]! + shift * normal[2]],
    direction: [rowDir[0], colDir[0], normal[0], rowDir[1], colDir[1], normal[1], rowDir[2], colDir[2], normal[2]],
    mappings: depths.map((d) => ({ base: [0, 0, Math.round(slice(d))], dc: [1, 0, 0], dr: [0, 1, 0] })),
  };
}
