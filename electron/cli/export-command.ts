/**
 * `hsam export`: a label file (e.g. from `hsam segment`, or corrected elsewhere) written in an
 * exchange format, in the geometry of the volume it labels, with the model's class names,
 * colours and coded anatomy. The same writers as the app: atomic, read back before success.
 *
 * Labels on the volume's voxel lattice in another voxel order (permuted or flipped axes, as
 * dcm2niix writes) are put back in the volume's order, with a warning; labels on another grid
 * that overlaps the volume are resampled by nearest label, with a warning. `--classes` names the
 * values from a class table instead of the model (labels from another tool): JSON, ITK-SNAP,
 * 3D Slicer colour table, a .seg.nrrd's or a DICOM SEG's own segments.
 *
 * Rejected (before anything is written): a model folder that does not load, a DICOM SEG for a
 * volume that did not come from DICOM, labels that do not overlap the volume, class values that
 * neither the model nor the class table names.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { LabelExportResult, LabelFormat, SegType } from '../../common/contract/learning.js';
import type { ModelClass } from '../../common/contract/segmentation.js';
import { exportLabels, readLabelSchemas } from '../services/export/label-export.js';
import type { AlgorithmType } from '../services/export/segments.js';
import { loadDicomSeries, scanDicomFolder } from '../services/imaging/dicom/loader.js';
import { readVolume } from '../services/imaging/read-volume.js';
import { codeClassNames } from '../services/interop/anatomy-names.js';
import { ClassTableError, readClassTable, tableAsModelClasses, unnamedValues } from '../services/interop/class-table.js';
import { placeLabels } from '../services/interop/place-labels.js';
import { LabelGridError } from '../services/interop/reorient-labels.js';
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
  /** A class table (any format `readClassTable` reads; `file.json#key`) naming the label values instead of the model. */
  readonly classes?: string;
  /** The tool that made labels named by a class table (DICOM SEG algorithm name). */
  readonly algorithm?: string;
  readonly schemas: string;
  /** DICOM SEG: BINARY (default, read everywhere) or LABELMAP (Label Map Segmentation, much smaller with many segments). */
  readonly segType?: SegType | undefined;
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
  let grid: ReturnType<typeof placeLabels>;
  try {
    grid = placeLabels(volume, labels, labels.voxels);
  } catch (e) {
    if (e instanceof LabelGridError) throw new ExportError(`${e.message} They do not label this volume.`);
    throw e;
  }
  const values = [...new Set<number>(grid.voxels)].sort((a, b) => a - b);
  const warnings: string[] = [...grid.warnings];
  const schema = await readLabelSchemas(o.schemas);
  let classes: readonly ModelClass[] = card.classes;
  if (o.classes) {
    const table = await readClassTable(o.classes, values).catch((e: unknown) => {
      throw e instanceof ClassTableError ? new ExportError(e.message) : e;
    });
    const missing = unnamedValues(table.classes, values);
    if (missing.length > 0) throw new ExportError(`The labels hold value${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the class table ${o.classes} does not name.`);
    // Names another tool gave are matched to the schemas' anatomy, so known organs keep their codes.
    const coded = codeClassNames(table.classes.filter((c) => values.includes(c.value)), schema);
    classes = tableAsModelClasses(coded.classes);
    warnings.push(...table.warnings, ...coded.warnings);
  }
  const source = o.classes ? `the class table ${o.classes}` : `model ${card.name} ${card.version}`;
  const types = new Map<number, AlgorithmType>();
  for (const v of values) {
    if (v === 0) continue;
    if (!classes.some((c) => c.index === v)) throw new ExportError(`The labels hold value ${v}, which ${source} does not name (it has ${classes.length - 1} classes).`);
    types.set(v, TYPES[o.provenance]);
  }
  // Labels named by a class table came from another tool, not from this model: the algorithm is
  // that tool, named by --algorithm or after the class table's file.
  const tool = o.classes ? { name: o.algorithm ?? basename(o.classes.replace(/#.*$/, '')).replace(/(\.seg)?\.(json|txt|ctbl|nrrd|dcm)$/i, ''), version: 'unknown' } : { name: card.name, version: card.version };
  const model = o.provenance === 'manual' ? undefined : tool;
  if (o.segType === 'labelmap' && o.format !== 'dicom-seg') throw new ExportError('--seg-type applies to --format dicom-seg.');
  const segmentationType = o.segType === 'labelmap' ? 'LABELMAP' : undefined;
  const r = await exportLabels({ format: o.format, path: o.out, volume, labels: grid.voxels, classes, schema, types, model, segmentationType });
  return { ...r, warnings: [...warnings, ...r.warnings], output: o.out };
}
