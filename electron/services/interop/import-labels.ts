/**
 * `importLabelFile`: a label file from another tool read onto a volume, in the volume's voxel
 * order, with the classes the file (or a class table) names. NIfTI and plain NRRD label maps,
 * 3D Slicer `.seg.nrrd` (one layer or Slicer's overlapping-segments layers) and DICOM SEG
 * (BINARY, FRACTIONAL, LABELMAP). Grids that differ from the volume's are reoriented or resampled
 * (place-labels); overlapping segments give the later segment, with a warning counting voxels.
 *
 * Refused with a sentence naming the file: unreadable files, label maps with values that are not
 * whole numbers 0..255, labels that do not overlap the volume.
 */
import { basename } from 'node:path';
import { UserFacingError } from '../../../common/contract/result.js';
import { readSlicerSegments } from '../export/seg-nrrd.js';
import { isNiftiPath, readNifti } from '../imaging/nifti.js';
import { isNrrdPath, readNrrdWithFields } from '../imaging/nrrd.js';
import type { DicomIdentity, Geometry, Volume } from '../imaging/volume.js';
import { readRegularFile } from '../storage/safe-read.js';
import { readClassTable, unnamedValues } from './class-table.js';
import { isDicomPart10 } from './dicom-seg-dataset.js';
import { readDicomSegOnto } from './dicom-seg-import.js';
import { placeLabels } from './place-labels.js';
import { LabelGridError } from './reorient-labels.js';
import { ClassTableError, type TableClass } from './table-class.js';

export interface ImportedLabels {
  /** Label values in the volume's voxel order. */
  readonly labels: Uint8Array;
  /** The classes the values stand for (0, background, is never listed). */
  readonly classes: TableClass[];
  readonly format: 'nifti' | 'nrrd' | 'seg-nrrd' | 'dicom-seg';
  readonly warnings: string[];
}

export interface ImportOptions {
  /** A class table naming a plain label map's values (any format `readClassTable` reads). */
  readonly classes?: string | undefined;
}

type Target = Geometry & { readonly dicom?: DicomIdentity | undefined };

async function isDicomFile(path: string): Promise<boolean> {
  const head = await readRegularFile(path, { maxBytes: 132, firstBytes: true });
  return isDicomPart10(head);
}

/** A label grid's voxels on the volume, or the reason they do not fit, naming the file. */
function onVolume(name: string, vol: Target, lab: Geometry, voxels: ArrayLike<number>): { voxels: Uint8Array; warnings: string[] } {
  try {
    return placeLabels(vol, lab, voxels);
  } catch (e) {
    if (e instanceof LabelGridError) throw new UserFacingError('invalid-argument', `${name}: ${e.message} They do not label this volume.`);
    throw e;
  }
}

/** A plain label map's values, checked: whole numbers 0..255. */
function labelValues(name: string, v: Volume): Uint8Array {
  if (v.voxels instanceof Uint8Array) return v.voxels;
  const out = new Uint8Array(v.voxels.length);
  for (let n = 0; n < v.voxels.length; n++) {
    const x = v.voxels[n]!;
    if (!Number.isInteger(x) || x < 0 || x > 255) {
      throw new UserFacingError('invalid-argument', `${name} holds the value ${x}, so it is not a label map: label maps hold whole numbers from 0 to 255.`);
    }
    out[n] = x;
  }
  return out;
}

/** Slicer's segments in their layers, flattened (later segment wins) onto the file's own grid. */
function flattenSegments(name: string, keyValues: ReadonlyMap<string, string>, layers: number, voxels: ArrayLike<number>, warnings: string[]): { flat: Uint8Array; classes: TableClass[] } {
  const segments = readSlicerSegments(keyValues);
  if (segments.length > 255) throw new UserFacingError('unreadable', `${name} has ${segments.length} segments; a label map holds at most 255.`);
  const count = voxels.length / layers;
  const flat = new Uint8Array(count);
  let shared = 0;
  segments.forEach((s, n) => {
    if (!(Number.isInteger(s.layer) && s.layer >= 0 && s.layer < layers)) throw new UserFacingError('unreadable', `${name}: segment "${s.name}" is in layer ${s.layer}, but the file has ${layers}.`);
    for (let p = 0; p < count; p++) {
      if (voxels[p * layers + s.layer] !== s.labelValue) continue;
      if (flat[p] !== 0) shared++;
      flat[p] = n + 1;
    }
  });
  if (shared > 0) warnings.push(`${shared} voxels lie in more than one segment of ${name}; each was given the later segment.`);
  const classes = segments.map((s, n) => ({ value: n + 1, name: s.name || `Segment ${n + 1}`, color: s.color.map((c) => Math.round(Math.min(1, Math.max(0, c)) * 255)) as [number, number, number] }));
  return { flat, classes };
}

/** Names for a plain map's values: the class table's, or "Label N", with a warning for each gap. */
async function nameValues(name: string, labels: Uint8Array, classesPath: string | undefined, warnings: string[]): Promise<TableClass[]> {
  const present = [...new Set(labels)].filter((v) => v !== 0).sort((a, b) => a - b);
  let table: TableClass[] = [];
  if (classesPath) {
    const t = await readClassTable(classesPath, present).catch((e: unknown) => {
      throw e instanceof ClassTableError ? new UserFacingError('invalid-argument', e.message) : e;
    });
    warnings.push(...t.warnings);
    table = t.classes;
  }
  const missing = unnamedValues(table, present);
  if (missing.length > 0) {
    warnings.push(
      classesPath
        ? `The class table ${basename(classesPath)} does not name value${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${name}; ${missing.length > 1 ? 'they are' : 'it is'} named "Label N".`
        : `${name} carries no class names; its values are named "Label N" (give a class table to name them).`,
    );
  }
  return present.map((v) => table.find((c) => c.value === v) ?? { value: v, name: `Label ${v}` });
}

export async function importLabelFile(path: string, vol: Target, opts: ImportOptions = {}): Promise<ImportedLabels> {
  const name = basename(path);
  const warnings: string[] = [];
  if (isNiftiPath(path)) {
    const v = await readNifti(path);
    warnings.push(...(v.warnings ?? []));
    const placed = onVolume(name, vol, v, labelValues(name, v));
    warnings.push(...placed.warnings);
    return { labels: placed.voxels, classes: await nameValues(name, placed.voxels, opts.classes, warnings), format: 'nifti', warnings };
  }
  if (isNrrdPath(path)) {
    const { volume: v, keyValues, layers } = await readNrrdWithFields(path, { layers: true });
    if (keyValues.has('Segment0_ID')) {
      const { flat, classes } = flattenSegments(name, keyValues, layers, v.voxels, warnings);
      const placed = onVolume(name, vol, v, flat);
      warnings.push(...placed.warnings);
      if (opts.classes) warnings.push(`${name} names its own segments; the class table ${basename(opts.classes)} was not used.`);
      return { labels: placed.voxels, classes, format: 'seg-nrrd', warnings };
    }
    if (layers > 1) throw new UserFacingError('unreadable', `${name} holds ${layers} values per voxel but no 3D Slicer segment fields; open a single 3-D label map.`);
    const placed = onVolume(name, vol, v, labelValues(name, v));
    warnings.push(...placed.warnings);
    return { labels: placed.voxels, classes: await nameValues(name, placed.voxels, opts.classes, warnings), format: 'nrrd', warnings };
  }
  if (await isDicomFile(path)) {
    const seg = await readDicomSegOnto(path, vol);
    if (opts.classes) seg.warnings.push(`${name} names its own segments; the class table ${basename(opts.classes)} was not used.`);
    return { labels: seg.labels, classes: seg.classes, format: 'dicom-seg', warnings: seg.warnings };
  }
  throw new UserFacingError('unreadable', `${name} is not a label file this workstation reads (NIfTI .nii/.nii.gz, NRRD or 3D Slicer .seg.nrrd, DICOM SEG).`);
}
