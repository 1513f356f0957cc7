/**
 * The main side of `labels.import`: read the file onto the study's volume, match its classes to
 * the loaded model's (or keep them all as extra classes when no model is loaded), and apply the
 * result to the study as one step.
 */
import { basename } from 'node:path';
import type { LabelImportResult } from '../../../common/contract/label-import.js';
import type { ModelClass } from '../../../common/contract/segmentation.js';
import type { LabelSchema } from '../export/label-schema.js';
import type { Study, StudyChange } from '../studies/study.js';
import { importLabelFile } from './import-labels.js';
import { matchClasses } from './match-classes.js';

export interface ImportRequest {
  readonly path: string;
  readonly as: 'proposal' | 'human';
  readonly classesPath?: string | undefined;
  /** The loaded model's classes; empty when none is loaded. */
  readonly modelClasses: readonly ModelClass[];
  readonly schema: LabelSchema;
}

export async function importOntoStudy(study: Study, r: ImportRequest): Promise<Omit<LabelImportResult, 'change'> & { readonly studyChange: StudyChange }> {
  const file = await importLabelFile(r.path, study.volume, { classes: r.classesPath });
  const used = new Set<number>(study.session.labels);
  used.delete(0);
  const match = matchClasses(file.classes, r.modelClasses, r.schema, used);
  const labels = new Uint8Array(file.labels.length);
  let labelled = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = match.lut[file.labels[i]!]!;
    labels[i] = v;
    if (v !== 0) labelled++;
  }
  const warnings = [...file.warnings];
  if (r.modelClasses.length === 0) warnings.push('No model is loaded, so every class of the file was added as an extra class.');
  const studyChange = await study.importLabels(labels, r.as, { name: `imported ${basename(r.path)}`, version: file.format });
  return { studyChange, format: file.format, classes: match.classes, extraClasses: match.extra, labelledVoxels: labelled, warnings };
}
