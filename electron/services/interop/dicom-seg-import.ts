/**
 * A DICOM Segmentation read onto a volume: BINARY (1 bit per pixel), FRACTIONAL (thresholded at
 * half the Maximum Fractional Value) and LABELMAP (each pixel holds its segment number), as 3D
 * Slicer/dcmqi, highdicom and OHIF write them. Each frame is placed by its Plane Position
 * (Patient) and the plane orientation and pixel spacing, shared or per frame; a frame without a
 * position is placed on the source slice its Referenced SOP Instance UID names.
 *
 * Invariants: segment values are the segments' order by Segment Number (1..n); where segments
 * overlap, the later segment wins and a warning counts the voxels. A frame on the volume's lattice
 * is copied exactly; one off it is placed by nearest voxel, with a warning.
 *
 * Refused, naming the file: a SEG whose Frame of Reference differs from the DICOM volume's and
 * none of whose frames references one of its images; compressed pixel data; frames that fall
 * wholly outside the volume; more than 255 segments.
 */
import { basename } from 'node:path';
import type { NaturalDataset } from 'dcmjs';
import { patientToIndex, type Vec3 } from '../../../common/geometry.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { DicomIdentity, Geometry } from '../imaging/volume.js';
import { dicomSegClasses } from './dicom-seg-class-table.js';
import { many, one, readSegDataset, seq, text } from './dicom-seg-dataset.js';
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

  const [nx, ny, nz] = vol.dims;
  const out = new Uint8Array(nx * ny * nz);
  const overlap = new Uint8Array(out.length);
  let overlaps = 0;
  let offLattice = 0;
  let outside = 0;
  let placed = 0;
  for (let f = 0; f < frames; f++) {
    const item = perFrame[f];
    const segNumber = Number(one(group(shared, item, 'SegmentIdentificationSequence'), 'ReferencedSegmentNumber') ?? 0);
    const value = valueOf.get(segNumber);
    if (type !== 'LABELMAP' && value === undefined) throw bad(`frame ${f + 1} names segment ${segNumber}, which the Segment Sequence does not describe`);
    const position = many(group(shared, item, 'PlanePositionSequence'), 'ImagePositionPatient').map(Number);
    const orientation = many(group(shared, item, 'PlaneOrientationSequence'), 'ImageOrientationPatient').map(Number);
    const spacing = many(group(shared, item, 'PixelMeasuresSequence'), 'PixelSpacing').map(Number);
    // Volume index of the frame's first pixel, and its change per column and per row.
    let base: Vec3;
    let dc: Vec3;
    let dr: Vec3;
    if (position.length === 3 && orientation.length === 6 && spacing.length === 2 && [...position, ...orientation, ...spacing].every(Number.isFinite)) {
      const at = (p: readonly number[]): Vec3 => patientToIndex(vol, [p[0]!, p[1]!, p[2]!]);
      base = at(position);
      const step = (o: number, s: number): Vec3 => {
        const q = at([0, 1, 2].map((r) => position[r]! + orientation[o + r]! * s));
        return [q[0] - base[0], q[1] - base[1], q[2] - base[2]];
      };
      // PixelSpacing is (between rows, between columns); the first orientation vector runs along a row.
      dc = step(0, spacing[1]!);
      dr = step(3, spacing[0]!);
    } else {
      const k = referenced(item).map((u) => volumeUids.get(u)).find((x) => x !== undefined);
      if (k === undefined || cols !== nx || rows !== ny) throw bad(`frame ${f + 1} has neither a plane position nor a reference to an image of this series`);
      [base, dc, dr] = [[0, 0, k], [1, 0, 0], [0, 1, 0]];
    }
    const integral = (v: Vec3): boolean => v.every((x) => Math.abs(x - Math.round(x)) <= ON_LATTICE);
    if (!integral(base) || !integral(dc) || !integral(dr)) offLattice++;
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
  if (placed === 0 && outside > 0) throw bad(`none of its ${outside} labelled pixels falls inside the volume (${vol.dims.join('×')} voxels)`);
  if (offLattice > 0) warnings.push(`${offLattice} of the ${frames} frames of ${name} are not on the volume's voxel lattice; their pixels were placed on the nearest voxels.`);
  if (outside > 0) warnings.push(`${outside} labelled pixels of ${name} lie outside the volume and were left out.`);
  if (overlaps > 0) warnings.push(`${overlaps} voxels lie in more than one segment of ${name}; each was given the later segment.`);
  return { labels: out, classes: ordered, warnings };
}
