/**
 * `labels.import`: a label file another tool wrote (NIfTI, NRRD, 3D Slicer .seg.nrrd, DICOM SEG),
 * chosen through the file grants, put onto an open study as one undoable step. Its classes are
 * matched to the loaded model's by name (case, punctuation and word order ignored; synonyms from
 * the label schemas); the rest become extra classes with new values, returned so the renderer
 * can show them.
 */
import { z } from 'zod';
import type { LabelChange, ModelClass } from './segmentation.js';

const id = z.string().min(1).max(128);

export const LabelImportArgs = z
  .object({
    volumeId: id,
    /** The label file, granted by a file dialog or drop. */
    fileId: id,
    /** 'proposal': merged like a model run (locked classes, reviewed slices and human edits kept); 'human': painted as the user's own labels. */
    as: z.enum(['proposal', 'human']),
    /** A class table naming a plain label map's values (JSON, ITK-SNAP, Slicer colour table, .seg.nrrd, DICOM SEG). */
    classes: id.optional(),
  })
  .strict();

export type LabelImportFormat = 'nifti' | 'nrrd' | 'seg-nrrd' | 'dicom-seg';

export interface ImportedClass {
  /** The value in the file (segment order for .seg.nrrd and DICOM SEG). */
  readonly fileValue: number;
  /** The name the file gave it. */
  readonly name: string;
  /** The study's class it became. */
  readonly index: number;
  /** A class of the loaded model, or an extra class added for it. */
  readonly matched: 'model' | 'extra';
}

export interface LabelImportResult {
  readonly change: LabelChange;
  readonly format: LabelImportFormat;
  readonly classes: readonly ImportedClass[];
  /** Classes the model does not have, with the values they were given (above the model's). */
  readonly extraClasses: readonly ModelClass[];
  /** Voxels the file labels on this volume. */
  readonly labelledVoxels: number;
  /** What the user should know: reoriented or resampled grids, overlapping segments, unnamed values. */
  readonly warnings: readonly string[];
}
