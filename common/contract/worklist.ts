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

/** A case as the renderer shows it: never its path, only a name relative to the worklist. */
export const WorklistCaseView = z.object({
  /** Position in the worklist; pass to `worklist.openCase`. */
  index: z.number().int(),
  /** Path relative to the worklist's folder (or the list file's folder), for display. */
  name: z.string(),
  kind: z.enum(['volume', 'dicom-folder']),
  status: CaseStatus,
  /** Who or what made the last change (the annotator, or "name version" of a model), and when (ISO); null for a new case. */
  by: z.string().nullable(),
  at: z.string().nullable(),
  /** `hsam segment` wrote labels for it beside the cases: opening it shows them instead of running the model. */
  precomputed: z.boolean(),
});
export type WorklistCaseView = z.infer<typeof WorklistCaseView>;

/** The open worklist. */
export const WorklistState = z.object({
  /** The folder's or list file's name. */
  name: z.string(),
  cases: z.array(WorklistCaseView),
  /** The case open in the app, or null. */
  current: z.number().int().nullable(),
  /** The case being pre-segmented in the background, and how far it got. */
  prefetch: z.object({ index: z.number().int(), state: z.enum(['running', 'done', 'failed', 'cancelled']), message: z.string().optional() }).nullable(),
});
export type WorklistState = z.infer<typeof WorklistState>;

/** What `worklist.openCase` answers: the study (as `volume.open` does) and the worklist after it. */
export interface OpenedCase<S> {
  readonly study: S;
  readonly worklist: WorklistState;
  /** Where the labels shown came from when they were not made in this app: e.g. "hsam segment". */
  readonly labelsFrom: string | null;
}
