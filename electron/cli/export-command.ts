/**
 * `hsam export`: a label file (e.g. from `hsam segment`, or corrected elsewhere) written in an
 * exchange format, in the geometry of the volume it labels, with the model's class names,
 * colours and coded anatomy. The same writers as the app: atomic, read back before success.
 *
 * Rejected (before anything is written): a model folder that does not load, a DICOM SEG for a
 * volume that did not come from DICOM, labels whose grid or geometry differ from the volume's
 * (any of the eight corners of the grid more than 0.01 mm apart: a flipped or transposed voxel
 * order is another grid, even where two corners coincide), class values the model does not name.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { LabelExportResult, LabelFormat } from '../../common/contract/learning.js';
import { exportLabels, readLabelSchemas } from '../services/export/label-export.js';
import type { AlgorithmType } from '../services/export/segments.js';
import { loadDicomSeries, scanDicomFolder } from '../services/imaging/dicom/loader.js';
import { readVolume } from '../services/imaging/read-volume.js';
import { loadModelFolder } from '../services/inference/model-folder.js';
import type { Volume } from '../services/imaging/volume.js';
import { refuseOverwritingInputs } from '../services/storage/output-guard.js';

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
  if (scan.series.length === 0) throw new ExportError(`${basename(input)} holds no DICOM image series.`);
  if (matches.length !== 1) {
    // seriesId, not the UID: anonymised series may have a blank Series Instance UID.
    const list = scan.series.map((s) => s.summary.seriesId).join(', ');
    throw new ExportError(series ? `The folder has no series "${series}" (it has ${list}).` : `The folder holds ${matches.length} DICOM series; name one with --series (${list}).`);
  }
  return loadDicomSeries(matches[0]!, () => {});
}

/** Where voxel `ijk` of a grid lies in the patient (LPS mm). */
const corner = (g: Volume, ijk: readonly number[]): number[] =>
  [0, 1, 2].map((r) => g.origin[r]! + [0, 1, 2].reduce((s, c) => s + g.direction[r * 3 + c]! * g.spacing[c]! * ijk[c]!, 0));

/**
 * Largest distance along an axis (mm) between where two grids of the same dims put their eight
 * corners. The first and last voxel are not enough: a grid with its i and j axes swapped (square
 * slices of square pixels) puts both where the original does, in another voxel order.
 */
function cornerOffset(a: Volume, b: Volume): number {
  let worst = 0;
  for (let n = 0; n < 8; n++) {
    const ijk = [0, 1, 2].map((c) => ((n >> c) & 1 ? a.dims[c]! - 1 : 0));
    const [pa, pb] = [corner(a, ijk), corner(b, ijk)];
    for (let r = 0; r < 3; r++) worst = Math.max(worst, Math.abs(pa[r]! - pb[r]!));
  }
  return worst;
}

export async function exportCommand(input: string, o: ExportOptions): Promise<LabelExportResult & { output: string }> {
  // Before anything is read: the output must not replace the volume, its folder's images or the labels.
  await refuseOverwritingInputs(o.out, [input, o.labels]);
  const { card } = await loadModelFolder(o.model);
  const volume = await openVolume(input, o.series);
  // Refused before the labels are read; the DICOM SEG writer would refuse it too, but later and
  // in the app's words (no command-line flags).
  if (o.format === 'dicom-seg' && !volume.dicom) {
    throw new ExportError(
      `${volume.name} was not read from DICOM images, so a DICOM SEG would have no source images to reference: give the DICOM folder of the series, or use --format nifti or seg-nrrd.`,
    );
  }
  const labels = await readVolume(o.labels);
  if (labels.dims.join() !== volume.dims.join()) {
    throw new ExportError(`The labels are ${labels.dims.join('×')} voxels but the volume is ${volume.dims.join('×')}: they do not label this volume.`);
  }
  const off = cornerOffset(volume, labels);
  // Label files store geometry as float32; anything past a hundredth of a millimetre is another grid.
  if (off > 0.01) throw new ExportError(`The labels' geometry differs from the volume's by ${off.toFixed(2)} mm at a corner: they do not label this volume.`);
  const values = [...new Set<number>(labels.voxels)].sort((a, b) => a - b);
  const types = new Map<number, AlgorithmType>();
  for (const v of values) {
    if (v === 0) continue;
    if (!card.classes.some((c) => c.index === v)) throw new ExportError(`The labels hold value ${v}, which model ${card.name} ${card.version} does not name (it has ${card.classes.length - 1} classes).`);
    types.set(v, TYPES[o.provenance]);
  }
  const schema = await readLabelSchemas(o.schemas);
  const model = o.provenance === 'manual' ? undefined : { name: card.name, version: card.version };
  const r = await exportLabels({ format: o.format, path: o.out, volume, labels: Uint8Array.from(labels.voxels), classes: card.classes, schema, types, model });
  return { ...r, output: o.out };
}
