/**
 * What the renderer learns about exports, training sets, fine-tuning runs and model versions:
 * the learning loop pre-segment → correct → export → fine-tune → a better model version.
 * Paths never cross to the renderer; files are named by their base name only.
 */

export const LABEL_FORMATS = ['nifti', 'seg-nrrd', 'dicom-seg'] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];
/** DICOM SEG's segmentation type: BINARY (one 1-bit frame per segment and slice, read everywhere) or
 * the 2024 LABELMAP (one 8-bit frame per slice: much smaller with many organs; newer receivers only). */
export const SEG_TYPES = ['binary', 'labelmap'] as const;
export type SegType = (typeof SEG_TYPES)[number];

export interface LabelExportResult {
  readonly format: LabelFormat;
  /** Base names and sizes of the files written (a NIfTI export also writes ITK-SNAP's label file). */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  /** What reading the written files back compared. */
  readonly verified: string;
  /** What the user should know about the written file (e.g. identifiers the source lacked). */
  readonly warnings: readonly string[];
  /** The segments written, with the provenance each was exported with. */
  readonly segments: readonly { readonly labelValue: number; readonly name: string; readonly algorithmType: 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL' }[];
}

export interface TrainingExportResult {
  readonly setId: string;
  /** The set's folder name (one set per model family, accumulating across studies). */
  readonly setName: string;
  readonly slices: readonly number[];
  readonly added: number;
  readonly replaced: number;
  readonly total: number;
  readonly heldOut: number;
}

/** The slice the model is least sure of among those nobody corrected or reviewed yet. */
export interface ReviewSuggestion {
  readonly slice: number;
  /** Mean normalised entropy inside the predicted foreground (0 certain … 1 uniform). */
  readonly uncertainty: number;
  /** 1 = most uncertain of the slices still to review. */
  readonly rank: number;
  /** Slices with a model proposal still untouched and unreviewed. */
  readonly remaining: number;
}

/** The Python that runs fine-tuning, as checked before a run. */
export interface PythonCheck {
  readonly python: string;
  /** True when fine-tuning can run: Python found, torch and numpy import. */
  readonly ok: boolean;
  readonly version: string | null;
  readonly torch: string | null;
  readonly cuda: boolean;
  /** One line for the user: what was found, or what is missing and how to fix it. */
  readonly message: string;
}

/** Held-out Dice of one model on one set of slices. */
export interface DiceReport {
  readonly perClass: Readonly<Record<string, number>>;
  readonly mean: number;
}

export interface ModelVersion {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly parent: { readonly name: string; readonly version: string } | null;
  /** The training set it was fine-tuned on, or null for a model the user brought (or the demo). */
  readonly trainingSet: { readonly id: string; readonly slices: number } | null;
  readonly created: string;
  /** The new model on the held-out slices of its training set… */
  readonly quality: DiceReport | null;
  /** …and its parent on the same slices, side by side. */
  readonly baseline: DiceReport | null;
  readonly active: boolean;
}

export interface ModelRegistryState {
  readonly versions: readonly ModelVersion[];
}

export interface FinetuneResult {
  readonly version: ModelVersion;
  readonly steps: number;
  readonly seconds: number;
  readonly device: string;
  /**
   * The held-out slices both versions were scored on, against the labels saved for them: how many,
   * and how many were only reviewed (nobody changed a voxel), where the old model is scored
   * against its own output.
   */
  readonly heldOut: { readonly slices: number; readonly reviewedOnly: number };
}
