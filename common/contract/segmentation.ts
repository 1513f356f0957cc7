/**
 * What the renderer learns about models, segmentation runs and label volumes. Voxel-sized
 * arrays travel as typed arrays, never JSON.
 */

/** A model's identity, end to end (label provenance, exports, the registry): never one joined string. */
export interface ModelId {
  readonly name: string;
  readonly version: string;
}

export interface ModelClass {
  readonly index: number;
  readonly name: string;
  readonly color: readonly [number, number, number];
}

export type Precision = 'fp32' | 'int8';

export interface ModelStatus {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Index 0 is background. */
  readonly classes: readonly ModelClass[];
  /** Modalities the model has preprocessing for (CT, MR). */
  readonly modalities: readonly string[];
  /** The execution provider the model runs on (cpu, cuda, dml, coreml)… */
  readonly provider: string;
  /** …and each faster one that was tried, with why it was not used. */
  readonly skipped: readonly { readonly provider: string; readonly reason: string }[];
  /** The graphs in use: 'int8' (the card's int8 variant, on the CPU) or 'fp32'. */
  readonly precision: Precision;
  /** Mean held-out Dice from the card, or null when the card states none. */
  readonly meanDice: number | null;
}

export interface SegmentSummary {
  readonly volumeId: string;
  readonly model: ModelId;
  readonly provider: string;
  /** Slices along the status (axial) axis, and how many were run before any cancel. */
  readonly slices: number;
  readonly completed: number;
  readonly cancelled: boolean;
  readonly seconds: number;
  readonly secondsPerSlice: number;
  /** Voxels the run changed (locked classes, reviewed slices and human edits are kept). */
  readonly changedVoxels: number;
  /** Per slice: mean normalised entropy inside the predicted foreground; null where not run. */
  readonly uncertainty: readonly (number | null)[];
  /** What the run changed in the labels, to mirror like any other edit (and undo as one step). */
  readonly change: LabelChange;
}

/**
 * How a voxel's label stands to the model's proposal under it (the "human edits" overlay):
 * `changed`, a human set a class other than the proposal (or one where it proposed nothing);
 * `erased`, a human erased the proposal. `none` everywhere else, including a human voxel
 * painted with the class the model had proposed.
 */
export const HumanEdit = { none: 0, changed: 1, erased: 2 } as const;
export type HumanEdit = (typeof HumanEdit)[keyof typeof HumanEdit];

/** The last model run's per-voxel uncertainty on a study (the uncertainty overlay). */
export interface VoxelUncertainty {
  readonly volumeId: string;
  /**
   * Normalised entropy of the prediction (0 certain, 1 uniform over the classes) × 255, rounded,
   * per voxel in the volume's voxel order; 0 where no run reached. Each slice from the latest run
   * that finished it, and 0 on slices whose labels no longer come from that run's model (an undo).
   * Kept across a restart.
   */
  readonly values: Uint8Array;
}

export interface LabelState {
  readonly volumeId: string;
  /** Class per voxel, same layout as the volume's voxels. */
  readonly labels: Uint8Array;
  /** Per slice along `statusAxis`: 0 untouched, 1 auto, 2 corrected, 3 reviewed. */
  readonly sliceStatus: Uint8Array;
  readonly statusAxis: 0 | 1 | 2;
  /** One entry per model run (or proposal import) that wrote labels in this study, in order; the model labels of slice z came from… */
  readonly models: readonly ModelId[];
  /** …the run `models[sliceModel[z] − 1]` (0: no model wrote slice z). A rerun of the same model is a new entry. */
  readonly sliceModel: Uint16Array;
  /** Edits restored from the journal when the volume was opened (an earlier session ended unsaved). */
  readonly restored: { readonly journalRecords: number; readonly fromSnapshot: boolean } | null;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  /** Classes no edit or model run may change. */
  readonly locked: readonly number[];
  /** The voxels a human changed apart from the model's proposal (sparse: usually few), with their `HumanEdit`. */
  readonly edited: { readonly indices: Uint32Array; readonly marks: Uint8Array };
}

/** A change main applied to a label volume (any edit, a model run, an undo, a redo), to mirror in the renderer. */
export interface LabelChange {
  readonly volumeId: string;
  /** The voxels that changed and their new classes; voxels of locked classes are not in it. */
  readonly indices: Uint32Array;
  readonly values: Uint8Array;
  /** Per voxel of `indices`, its `HumanEdit` after the change (a voxel can change provenance alone). */
  readonly edited: Uint8Array;
  /** Slices (status axis) whose status changed, and their new status. */
  readonly slices: Uint32Array;
  readonly status: Uint8Array;
  /** Slices whose model attribution changed (an undone or redone model run), and the new index. */
  readonly modelSlices: Uint32Array;
  readonly modelIndex: Uint16Array;
  /** The study's model list after the change, when it attributed slices to a model (`modelIndex` indexes it). */
  readonly models?: readonly ModelId[];
  readonly canUndo: boolean;
  readonly canRedo: boolean;
}
