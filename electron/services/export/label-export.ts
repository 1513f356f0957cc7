/**
 * Label export from a study's label session: picks the writer for the format, and gives it
 * every class present with its name, colour, coded anatomy (label schema) and provenance
 * (untouched model output AUTOMATIC, corrected SEMIAUTOMATIC, drawn from scratch MANUAL).
 * Each writer writes atomically and reads its file back before this returns.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LabelExportResult, LabelFormat } from '../../../common/contract/learning.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { ModelClass, ModelId } from '../../../common/contract/segmentation.js';
import type { Volume } from '../imaging/volume.js';
import { writeDicomSeg } from './dicom-seg.js';
import { readLabelSchema, segmentsFor, LABEL_SCHEMA_FORMAT, type LabelSchema } from './label-schema.js';
import { writeNiftiLabels } from './nifti-labels.js';
import { algorithmType, classProvenance } from './provenance.js';
import { writeSegNrrd } from './seg-nrrd.js';
import type { AlgorithmType, ExportReport, LabelExportInput } from './segments.js';

/** File name suffix and dialog filter of each format. */
export const FORMAT_FILES: Readonly<Record<LabelFormat, { readonly suffix: string; readonly filter: string; readonly extensions: readonly string[] }>> = {
  nifti: { suffix: '-labels.nii.gz', filter: 'NIfTI label map', extensions: ['gz', 'nii'] },
  'seg-nrrd': { suffix: '.seg.nrrd', filter: '3D Slicer segmentation', extensions: ['nrrd'] },
  'dicom-seg': { suffix: '.seg.dcm', filter: 'DICOM Segmentation', extensions: ['dcm'] },
};

const WRITERS: Readonly<Record<LabelFormat, (input: LabelExportInput, path: string) => Promise<ExportReport>>> = {
  nifti: writeNiftiLabels,
  'seg-nrrd': writeSegNrrd,
  'dicom-seg': writeDicomSeg,
};

/** The file name offered in the save dialog: the study's name without its extension. */
export function defaultExportName(volumeName: string, format: LabelFormat): string {
  const stem = volumeName.replace(/\.(nii\.gz|nii|nrrd|nhdr|dcm)$/i, '').replace(/[^\w.-]+/g, '_') || 'labels';
  return `${stem}${FORMAT_FILES[format].suffix}`;
}

/** Every schema in a folder, merged (later files win for a class both describe). */
export async function readLabelSchemas(dir: string | undefined): Promise<LabelSchema> {
  const merged: LabelSchema = { format: LABEL_SCHEMA_FORMAT, name: 'bundled', description: '', classes: {} };
  if (!dir) return merged;
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json')).sort();
  for (const f of files) Object.assign(merged.classes, (await readLabelSchema(join(dir, f))).classes);
  return merged;
}

export interface StudyLabels {
  readonly labels: Uint8Array;
  readonly source: Uint8Array;
  readonly origin: Uint8Array;
  /** Models that wrote labels in the study, oldest first. */
  readonly models: readonly ModelId[];
}

/** The algorithm type of every labelled class, from the session's provenance. */
export function studyAlgorithmTypes(study: StudyLabels, classes: readonly ModelClass[]): Map<number, AlgorithmType> {
  const provenance = classProvenance(study.labels, study.source, study.origin);
  const unknown = provenance.findIndex((p, c) => c > 0 && p.voxels > 0 && !classes.some((k) => k.index === c));
  if (unknown >= 0) throw new UserFacingError('invalid-argument', `The labels use class ${unknown}, which the loaded model does not name; load the model these labels were made with.`);
  const types = new Map<number, AlgorithmType>();
  for (const c of classes) {
    const p = provenance[c.index];
    if (c.index > 0 && p && p.voxels > 0) types.set(c.index, algorithmType(p));
  }
  return types;
}

/** One export: what to write, where, and what each class is. */
export interface LabelExportJob {
  readonly format: LabelFormat;
  readonly path: string;
  readonly volume: Volume;
  readonly labels: Uint8Array;
  readonly classes: readonly ModelClass[];
  readonly schema: LabelSchema;
  /** The algorithm type of every class to export (classes without one are left out). */
  readonly types: ReadonlyMap<number, AlgorithmType>;
  /** The model named as the algorithm; none for labels drawn by hand. */
  readonly model?: ModelId | undefined;
  /** DICOM SEG only: BINARY (default) or LABELMAP. */
  readonly segmentationType?: 'BINARY' | 'LABELMAP' | undefined;
}

/** Export a study's labels with provenance from its label session. */
export function exportStudyLabels(
  job: Pick<LabelExportJob, 'format' | 'path' | 'volume' | 'classes' | 'schema' | 'segmentationType'> & { readonly study: StudyLabels },
): Promise<LabelExportResult> {
  const { study, ...rest } = job;
  // The newest model that wrote labels is the algorithm; a study only painted by hand has none.
  return exportLabels({ ...rest, labels: study.labels, types: studyAlgorithmTypes(study, job.classes), model: study.models.at(-1) });
}

export async function exportLabels(job: LabelExportJob): Promise<LabelExportResult> {
  const { format, volume, labels, classes, types, model } = job;
  if (types.size === 0) throw new UserFacingError('invalid-argument', 'Nothing is labelled yet: segment or paint, then export.');
  const segments = segmentsFor(classes, types, { schema: job.schema, ...(model ? { model } : {}) });
  const input = { volume, labels, segments, description: `H-SAM labels of ${volume.name}`.slice(0, 64) };
  const report = format === 'dicom-seg' && job.segmentationType ? await writeDicomSeg(input, job.path, { segmentationType: job.segmentationType }) : await WRITERS[format](input, job.path);
  return {
    format,
    files: report.files.map((f) => ({ name: basename(f.path), bytes: f.bytes })),
    verified: report.verified,
    warnings: report.warnings ?? [],
    segments: segments.map((s) => ({ labelValue: s.labelValue, name: s.name, algorithmType: s.algorithmType })),
  };
}
