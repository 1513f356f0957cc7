/**
 * `hsam export`: a label file (e.g. from `hsam segment`, or corrected elsewhere) written in an
 * exchange format, in the geometry of the volume it labels, with the model's class names,
 * colours and coded anatomy. The same writers as the app: atomic, read back before success.
 *
 * Rejected: labels whose grid or geometry differ from the volume's, class values the model does
 * not name, a DICOM SEG for a volume that did not come from DICOM.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabelExportResult, LabelFormat } from '../contract/learning.js';
import { ModelCard } from '../contract/model-card.js';
import { exportLabels, readLabelSchemas } from '../services/export/label-export.js';
import type { AlgorithmType } from '../services/export/segments.js';
import { loadDicomSeries, scanDicomFolder } from '../services/imaging/dicom/loader.js';
import { readVolume } from '../services/imaging/read-volume.js';
import type { Volume } from '../services/imaging/volume.js';

export interface ExportOptions {
  readonly labels: string;
  readonly format: LabelFormat;
  readonly out: string;
  readonly model: string;
  readonly provenance: 'auto' | 'corrected' | 'manual';
  readonly series?: string;
  readonly schemas: string;
}

export class ExportError extends Error {}

const TYPES: Readonly<Record<ExportOptions['provenance'], AlgorithmType>> = { auto: 'AUTOMATIC', corrected: 'SEMIAUTOMATIC', manual: 'MANUAL' };

async function openVolume(input: string, series: string | undefined): Promise<Volume> {
  if (!statSync(input, { throwIfNoEntry: false })?.isDirectory()) {
    if (series) throw new ExportError('--series applies to a folder of DICOM files.');
    return readVolume(input);
  }
  const scan = await scanDicomFolder(input, () => {});
  const matches = scan.series.filter((s) => !series || s.summary.seriesId === series || s.summary.seriesInstanceUID === series);
  if (matches.length !== 1) {
    const list = scan.series.map((s) => s.summary.seriesInstanceUID).join(', ');
    throw new ExportError(series ? `The folder has no series "${series}" (it has ${list}).` : `The folder holds ${matches.length} DICOM series; name one with --series (${list}).`);
  }
  return loadDicomSeries(matches[0]!, () => {});
}

export async function exportCommand(input: string, o: ExportOptions): Promise<LabelExportResult & { output: string }> {
  const card = ModelCard.parse(JSON.parse(await readFile(join(o.model, 'model.json'), 'utf8')));
  const volume = await openVolume(input, o.series);
  const labels = await readVolume(o.labels);
  if (labels.dims.join() !== volume.dims.join()) {
    throw new ExportError(`The labels are ${labels.dims.join('×')} voxels but the volume is ${volume.dims.join('×')}: they do not label this volume.`);
  }
  const corner = (g: Volume, ijk: readonly number[]): number[] =>
    [0, 1, 2].map((r) => g.origin[r]! + [0, 1, 2].reduce((s, c) => s + g.direction[r * 3 + c]! * g.spacing[c]! * ijk[c]!, 0));
  const far = volume.dims.map((d) => d - 1);
  const off = Math.max(...[[0, 0, 0], far].flatMap((ijk) => corner(volume, ijk).map((v, r) => Math.abs(v - corner(labels, ijk)[r]!))));
  // Label files store geometry as float32; anything past a hundredth of a millimetre is another grid.
  if (off > 0.01) throw new ExportError(`The labels' geometry differs from the volume's by ${off.toFixed(2)} mm at a corner: they do not label this volume.`);
  const values = new Set<number>(labels.voxels);
  const types = new Map<number, AlgorithmType>();
  for (const v of values) {
    if (v === 0) continue;
    if (!card.classes.some((c) => c.index === v)) throw new ExportError(`The labels hold value ${v}, which model ${card.name} ${card.version} does not name (it has ${card.classes.length - 1} classes).`);
    types.set(v, TYPES[o.provenance]);
  }
  const schema = await readLabelSchemas(o.schemas);
  const model = o.provenance === 'manual' ? undefined : { name: card.name, version: card.version };
  const r = await exportLabels(o.format, o.out, volume, Uint8Array.from(labels.voxels), card.classes, schema, types, model);
  return { ...r, output: o.out };
}
