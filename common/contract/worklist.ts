/** The worklist's shared types (issue 16): a case, its status, who/what last changed it and when. */
import { z } from 'zod';

export const CASE_STATUSES = ['new', 'auto-segmented', 'in progress', 'reviewed', 'exported'] as const;
export const CaseStatus = z.enum(CASE_STATUSES);
export type CaseStatus = z.infer<typeof CaseStatus>;

/** Who or what made the last change: the annotator's name, or a model's "name version". */
export const CaseMark = z.object({ status: CaseStatus, by: z.string().min(1).max(200), at: z.string().datetime() });
export type CaseMark = z.infer<typeof CaseMark>;

export interface WorklistCase {
  /** Absolute path of a volume file or of a folder holding a DICOM series. */
  readonly path: string;
  readonly kind: 'volume' | 'dicom-folder';
  readonly mark: CaseMark | null;
}
