/**
 * One open study in main: its volume, its label session (journal, undo, provenance), the
 * uncertainty of the last model run and the review queue. Every mutation answers with the
 * LabelChange the renderer mirrors, the model run included, so the renderer never re-reads the
 * label volume after an edit. The last runs' uncertainty is saved beside the session's labels
 * after each merged run and restored on open (run-uncertainty.ts, uncertainty-file.ts).
 */
import type { ReviewSuggestion } from '../../../common/contract/learning.js';
import type { EditableRange, LabelTool, PaintOver, SegmentStatistics } from '../../../common/contract/label-tools.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { LabelChange, LabelState, ModelId } from '../../../common/contract/segmentation.js';
import { inSharedMemory, type Volume } from '../imaging/volume.js';
import type { LabelSession, RestoreReport } from '../labels/label-session.js';
import { editMarksOf, humanEdits } from '../labels/human-edits.js';
import { nextToReview } from '../labels/review-queue.js';
import { SliceStatus, type Step } from '../labels/step.js';
import { keepEditable, keepOverwritable, paintOverMask } from '../labels/tools/paint-over.js';
import { planTool } from '../labels/tools/plan.js';
import { segmentStatistics } from '../labels/statistics.js';
import { RunUncertainty } from './run-uncertainty.js';
import { readUncertainty, writeUncertainty } from './uncertainty-file.js';

/** The rules a brush dab obeys (the tools carry theirs in their description). */
export interface EditRules {
  readonly paintOver?: PaintOver | undefined;
  readonly editable?: EditableRange | undefined;
}

/** What a model run proposes for a study (the model host's result has this shape). */
export interface ModelProposal {
  /** Class per voxel, volume grid; meaningful on the completed slices. */
  readonly labels: Uint8Array;
  readonly completed: readonly number[];
  /** Per slice along `sliceAxis`; NaN where not run. */
  readonly uncertainty: Float64Array;
  /** Per voxel: normalised entropy × 255, meaningful on the completed slices; absent for labels read from a file. */
  readonly entropy?: Uint8Array;
  /** The voxel axis `completed` and `uncertainty` count slices along. */
  readonly sliceAxis: 0 | 1 | 2;
}

/** A LabelChange before the handler names the volume it answers for. */
export type StudyChange = Omit<LabelChange, 'volumeId'>;

export class Study {
  #volume: Volume;
  /** The last runs' per-slice and per-voxel uncertainty, tagged by the model entry that measured it. */
  #kept: RunUncertainty;
  /** The kept uncertainty's write in progress (settles, never rejects), and whether another waits. */
  #saving: Promise<void> = Promise.resolve();
  #saveQueued = false;

  constructor(
    /** Names the source (path and series), so a reopened study finds its journal again. */
    readonly key: string,
    /** The file or folder it was read from: no export may replace it (or one of its files). */
    readonly source: string,
    volume: Volume,
    readonly session: LabelSession,
    readonly restored: RestoreReport | null,
    /** Where failures that must not fail the action go (a write of the kept uncertainty), in detail. */
    private readonly log: (line: string) => void = () => {},
    /** The same failures in a sentence for the user (the study's notice bar). */
    private readonly tell: (message: string) => void = () => {},
  ) {
    this.#volume = volume;
    this.#kept = new RunUncertainty(volume.dims, session.opts.statusAxis);
  }

  get volume(): Volume {
    return this.#volume;
  }

  /** The study was opened again (a new read of the same source): keep one copy of its voxels. */
  replaceVolume(volume: Volume): void {
    this.#volume = volume;
  }

  /**
   * The volume with its voxels in shared memory, so the inference worker reads them without a
   * structured-clone copy per run (157 MB for a 512×512×300 int16 CT). Moved once, on the first
   * run; the renderer already has its own copy from the open.
   */
  volumeForWorker(): Volume {
    this.#volume = inSharedMemory(this.#volume);
    return this.#volume;
  }

  get statusAxis(): 0 | 1 | 2 {
    return this.session.opts.statusAxis;
  }

  /** What the renderer needs of the labels when it opens the study. */
  state(volumeId: string): LabelState {
    const s = this.session;
    const r = this.restored;
    return {
      volumeId,
      labels: s.labels,
      sliceStatus: s.sliceStatus,
      statusAxis: this.statusAxis,
      models: [...s.models],
      sliceModel: s.sliceModel,
      restored: r && { journalRecords: r.journalRecords, fromSnapshot: r.fromSnapshot },
      canUndo: s.canUndo,
      canRedo: s.canRedo,
      locked: this.locked(),
      edited: humanEdits(s),
    };
  }

  /**
   * A brush or eraser dab: the paint-over rule (default 'nothing': no other organ is overwritten)
   * and the editable range decide, on the labels as they are when the dab lands, which voxels it sets.
   */
  async paint(indices: Uint32Array, value: number, stroke?: string, rules: EditRules = {}): Promise<StudyChange> {
    const size = this.session.labels.length;
    for (const i of indices) {
      if (i >= size) throw new UserFacingError('invalid-argument', `labels.paint: voxel index ${i} is outside the volume (${size} voxels).`);
    }
    const image = this.#volume.voxels;
    const mask = paintOverMask(rules.paintOver, value);
    const step = await this.session.edit(() => {
      const allowed = keepOverwritable(indices, this.session.labels, mask);
      return { kind: 'set', indices: rules.editable ? keepEditable(allowed, image, rules.editable) : allowed, value, ...(stroke === undefined ? {} : { stroke }) };
    });
    return this.#change(step);
  }

  /** The voxels whose class a tool would change, and their classes after; not applied (shown until Enter or Escape). */
  async previewTool(tool: LabelTool): Promise<{ indices: Uint32Array; values: Uint8Array }> {
    const v = this.#volume;
    const { labels, source, origin } = this.session;
    const d = await this.session.preview(() => planTool(tool, { dims: v.dims, spacing: v.spacing, image: v.voxels, labels, source, origin }));
    // Only voxels whose class changes: a model voxel the tool would merely make human-set looks the same.
    let m = 0;
    for (let n = 0; n < d.indices.length; n++) if (d.before[n] !== d.after[n]) m++;
    const indices = new Uint32Array(m);
    const values = new Uint8Array(m);
    for (let n = 0, k = 0; n < d.indices.length; n++) {
      if (d.before[n] === d.after[n]) continue;
      indices[k] = d.indices[n]!;
      values[k++] = d.after[n]!;
    }
    return { indices, values };
  }

  /** Per class present: volume, intensity mean and SD, extent. */
  statistics(): SegmentStatistics[] {
    const v = this.#volume;
    return segmentStatistics(v.dims, v.spacing, v.voxels, this.session.labels);
  }

  /** A correction tool (threshold brush, region grow, scissors, islands, holes, interpolation, revert) as one step. */
  async applyTool(tool: LabelTool): Promise<StudyChange> {
    const v = this.#volume;
    const { labels, source, origin } = this.session;
    const step = await this.session.edit(() => planTool(tool, { dims: v.dims, spacing: v.spacing, image: v.voxels, labels, source, origin }));
    return this.#change(step);
  }

  async undo(redo: boolean): Promise<StudyChange | null> {
    const step = redo ? await this.session.redo() : await this.session.undo();
    return step && this.#change(step);
  }

  async setSliceStatus(slices: readonly number[], status: keyof typeof SliceStatus): Promise<StudyChange> {
    const n = this.session.sliceStatus.length;
    const bad = slices.find((z) => z >= n);
    if (bad !== undefined) throw new UserFacingError('invalid-argument', `Slice ${bad} is outside the volume (${n} slices).`);
    return this.#change(await this.session.setSliceStatus(slices, SliceStatus[status]));
  }

  setLocked(classIndex: number, locked: boolean): number[] {
    if (locked) this.session.lockedClasses.add(classIndex);
    else this.session.lockedClasses.delete(classIndex);
    return this.locked();
  }

  locked(): number[] {
    return [...this.session.lockedClasses].sort((a, b) => a - b);
  }

  /**
   * Merge a model run like any other undoable step (never over locked classes, reviewed slices,
   * human edits or labels that are not the model's classes) and remember its uncertainty for the
   * overlay and the review queue; saving it to disk happens after the answer and never fails the run.
   */
  async applyModelRun(run: ModelProposal, model: ModelId, modelClasses?: number): Promise<StudyChange> {
    const step = await this.session.applyModel(run.labels, this.#statusSlices(run), { model, ...(modelClasses === undefined ? {} : { modelClasses }) });
    // The entry the session attributes this run's slices to: the run's own. A run that merged no
    // slice (cancelled across the status axis, or only over reviewed slices) describes no labels:
    // its figures are not kept, and the earlier runs' stay as they were.
    const entry = step.models && step.models.slices.length > 0 ? step.models.after[0]! : 0;
    if (entry === 0) return this.#change(step);
    const kept = this.#kept;
    if (run.sliceAxis === this.statusAxis) kept.rememberUncertainty(run.uncertainty, run.completed, entry);
    if (run.entropy) kept.rememberEntropy(run.entropy, run.sliceAxis, run.completed, entry);
    this.#persist();
    return this.#change(step);
  }

  /**
   * The status-axis slices a run's labels are merged on: its completed slices when it sliced
   * along the status axis; along another axis, every status slice when it finished all of its
   * own, else none (each status slice it crossed is only partly labelled, and the session merges
   * whole slices: the rest would be erased).
   */
  #statusSlices(run: ModelProposal): readonly number[] {
    if (run.sliceAxis === this.statusAxis) return run.completed;
    if (run.completed.length < this.#volume.dims[run.sliceAxis]) return [];
    return Array.from(this.session.sliceStatus, (_, z) => z);
  }

  /** A running model's finished slices as merging them would set them, without merging (see LabelSession.previewModel). */
  previewModelRun(labels: Uint8Array, slices: readonly number[], modelClasses?: number): { indices: Uint32Array; values: Uint8Array } {
    return this.session.previewModel(labels, slices, modelClasses === undefined ? {} : { modelClasses });
  }

  /**
   * Labels read from a file (study class values, volume order) as one undoable step: as a
   * proposal, merged like a model run (named `source`) on the slices the file labels; as the
   * user's own, every labelled voxel painted in one step. Background in the
   * file never erases a human label.
   */
  async importLabels(labels: Uint8Array, as: 'proposal' | 'human', source: ModelId): Promise<StudyChange> {
    if (labels.length !== this.session.labels.length) throw new UserFacingError('internal', `Imported labels have ${labels.length} voxels; the study has ${this.session.labels.length}.`);
    if (as === 'proposal') {
      const slices = new Set<number>();
      for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) slices.add(this.session.sliceOf(i));
      return this.#change(await this.session.applyModel(labels, [...slices].sort((a, b) => a - b), { model: source }));
    }
    return this.#change(await this.session.paintLabels(labels));
  }

  /**
   * The last runs' uncertainty as the overlay shows it: per voxel, 0 on slices whose labels no
   * longer come from the model entry that measured it (an undone run); null before any run.
   */
  get entropy(): Uint8Array | null {
    return this.#kept.visibleEntropy(this.session.sliceModel);
  }

  /** Restore the kept uncertainty from the session folder; a missing or unusable file leaves none (logged). */
  async restoreUncertainty(): Promise<void> {
    const { dir } = this.session.opts;
    try {
      const kept = await readUncertainty(dir, this.#volume.dims, this.statusAxis, this.session.models);
      if (kept) this.#kept = kept;
    } catch (e) {
      this.log(`The last run's uncertainty in ${dir} was not restored (${e instanceof Error ? e.message : String(e)}); run the model again to see it.`);
      this.tell("The last run's uncertainty overlay could not be restored (its file is damaged or belongs to other labels); run the model again to see it.");
    }
  }

  /** Settles when the kept uncertainty is on disk (or its write failed, logged); never rejects. */
  uncertaintySaved(): Promise<void> {
    return this.#saving;
  }

  /**
   * Save the kept uncertainty after the answer: one write at a time, and a write not yet started
   * takes the state as it is when it starts. A failure (a full disk) is logged; the run stands.
   */
  #persist(): void {
    if (this.#saveQueued) return;
    this.#saveQueued = true;
    this.#saving = this.#saving.then(async () => {
      // After the run's answer has gone: copying the arrays for the write takes a moment on a big CT.
      await new Promise<void>((go) => setImmediate(go));
      this.#saveQueued = false;
      try {
        await writeUncertainty(this.session.opts.dir, this.#kept, this.session.models);
      } catch (e) {
        this.log(`The last run's uncertainty was not saved (${e instanceof Error ? e.message : String(e)}); labels are saved, the overlay will be missing after a restart.`);
        this.tell("The last run's uncertainty overlay could not be saved to disk (see the log); your labels are saved. The overlay will be missing after a restart.");
      }
    });
  }

  /** Active learning: the next slice to review, most uncertain first. */
  nextToReview(): ReviewSuggestion | null {
    const u = this.#kept.visibleUncertainty(this.session.sliceModel);
    if (!u) throw new UserFacingError('not-found', 'Run the model on this study first: slices are ranked by how unsure its last run was.');
    return nextToReview(u, this.session.sliceStatus);
  }

  #change(step: Step): StudyChange {
    const s = this.session;
    const m = step.models;
    return {
      indices: step.diff.indices,
      values: step.diff.after,
      // After the step landed: marks are what the voxels are now (an undo clears its own).
      edited: editMarksOf(s, step.diff.indices),
      slices: step.status.slices,
      status: step.status.after,
      modelSlices: m?.slices ?? new Uint32Array(0),
      modelIndex: m?.after ?? new Uint16Array(0),
      // The list is a few entries; sent whole with every step that attributes slices to a model.
      ...(m ? { models: [...s.models] } : {}),
      canUndo: s.canUndo,
      canRedo: s.canRedo,
    };
  }
}

