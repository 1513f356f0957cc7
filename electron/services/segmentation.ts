/**
 * One-click segmentation in main: the loaded model (sessions in the inference worker), and per
 * opened volume its label session (journal, undo, provenance). A run goes worker → labels diff
 * → journal, so the model's proposal is merged like any other undoable step and never
 * overwrites locked classes, reviewed slices or human edits.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { EventPayload } from '../../common/contract/api.js';
import { UserFacingError } from '../../common/contract/result.js';
import type { ReviewSuggestion } from '../../common/contract/learning.js';
import type { ModelCard } from '../../common/contract/model-card.js';
import type { LabelTool } from '../../common/contract/label-tools.js';
import type { LabelChange, LabelState, ModelStatus, SegmentSummary } from '../../common/contract/segmentation.js';
import type { Volume } from './imaging/volume.js';
import { InFlight } from './in-flight.js';
import { InferenceService, type SegmentJob } from './inference/inference-service.js';
import type { Device } from './inference/ort-engine.js';
import { sliceFrame } from './inference/slice-frame.js';
import { LabelSession, type RestoreReport } from './labels/label-session.js';
import { nextToReview } from './labels/review-queue.js';
import { planTool } from './labels/tools/plan.js';
import { SliceStatus, type Step } from './labels/step.js';

export interface SegmentationOptions {
  /** Where label sessions (journal and snapshots) live; one folder per study. */
  readonly sessionsDir: string;
  readonly onProgress: (p: EventPayload<'segmentProgress'>) => void;
}

interface OpenLabels {
  readonly session: LabelSession;
  readonly restored: RestoreReport | null;
}

interface SharedLabels {
  readonly open: Promise<OpenLabels>;
  /** Opened volumes of this study; the session closes with the last. */
  readonly volumes: Set<string>;
}

/** The axial voxel axis: the one left when columns run toward R and rows toward A. */
const axialAxis = (v: Volume): 0 | 1 | 2 => sliceFrame(v, { columns: 'R', rows: 'A' }).sliceAxis;

export class Segmentation {
  readonly #inference = new InferenceService();
  #model: ModelStatus | null = null;
  #card: ModelCard | null = null;
  #modelDir: string | null = null;
  /** Per study: each slice's uncertainty in the latest run that reached it (NaN: never run). */
  readonly #uncertainty = new Map<string, Float64Array>();
  /** Label sessions by study: two opened volumes of one study share its labels and journal. */
  readonly #labels = new Map<string, SharedLabels>();
  readonly #studyOf = new Map<string, string>();
  /** Runs by volume; `cancelled` catches a cancel that arrives before the worker has the job. */
  readonly #running = new Map<string, { job?: SegmentJob; cancelled: boolean }>();
  /** Every run until it settles, so closing can wait for them. */
  readonly #runs = new InFlight();

  constructor(private readonly opts: SegmentationOptions) {}

  get model(): ModelStatus | null {
    return this.#model;
  }

  /** The loaded model's folder. */
  get modelDir(): string | null {
    return this.#modelDir;
  }

  /** The loaded model's card (classes, preprocessing, provenance). */
  get card(): ModelCard | null {
    return this.#card;
  }

  async loadModel(dir: string, device: Device = 'auto'): Promise<ModelStatus> {
    if (this.#running.size > 0) throw new UserFacingError('invalid-argument', 'A segmentation is running; cancel it before changing the model.');
    const { card, report } = await this.#inference.loadModel(dir, device);
    this.#card = card;
    this.#modelDir = dir;
    this.#model = {
      name: card.name,
      version: card.version,
      description: card.description,
      classes: card.classes,
      modalities: Object.keys(card.preprocessing),
      provider: report.provider,
      skipped: report.skipped,
      meanDice: card.quality?.mean ?? null,
    };
    return this.#model;
  }

  /**
   * The label session of an opened volume, opened on first use. `studyKey` names the source
   * (path and series) so a reopened study finds its journal and snapshot again.
   */
  labels(volumeId: string, volume: Volume, studyKey: string): Promise<OpenLabels> {
    let shared = this.#labels.get(studyKey);
    if (!shared) {
      const dir = join(this.opts.sessionsDir, createHash('sha256').update(studyKey).digest('hex').slice(0, 24));
      const open = LabelSession.open({ dir, dims: volume.dims, statusAxis: axialAxis(volume) });
      shared = { open, volumes: new Set() };
      this.#labels.set(studyKey, shared);
      open.catch(() => this.#labels.delete(studyKey));
    }
    shared.volumes.add(volumeId);
    this.#studyOf.set(volumeId, studyKey);
    return shared.open;
  }

  async labelState(volumeId: string, volume: Volume, studyKey: string): Promise<LabelState> {
    const { session, restored } = await this.labels(volumeId, volume, studyKey);
    return {
      volumeId,
      labels: session.labels,
      source: session.source,
      sliceStatus: session.sliceStatus,
      statusAxis: session.opts.statusAxis,
      models: [...session.models],
      sliceModel: session.sliceModel,
      revision: session.revision,
      restored: restored && { journalRecords: restored.journalRecords, fromSnapshot: restored.fromSnapshot },
      historyBytes: session.historyBytes,
    };
  }

  async paint(volumeId: string, volume: Volume, studyKey: string, indices: Uint32Array, value: number, stroke?: string): Promise<LabelChange> {
    const { session } = await this.labels(volumeId, volume, studyKey);
    const size = session.labels.length;
    for (const i of indices) {
      if (i >= size) throw new UserFacingError('invalid-argument', `labels.paint: voxel index ${i} is outside the volume (${size} voxels).`);
    }
    return this.#change(volumeId, session, await session.paint(indices, value, stroke));
  }

  /** A correction tool (threshold brush, region grow, scissors, islands, holes, interpolation, revert) as one step. */
  async applyTool(volumeId: string, volume: Volume, studyKey: string, tool: LabelTool): Promise<LabelChange> {
    const { session } = await this.labels(volumeId, volume, studyKey);
    const { labels, source, origin } = session;
    const step = await session.edit(() => planTool(tool, { dims: volume.dims, spacing: volume.spacing, image: volume.voxels, labels, source, origin }));
    return this.#change(volumeId, session, step);
  }

  async undo(volumeId: string, volume: Volume, studyKey: string, redo: boolean): Promise<LabelChange | null> {
    const { session } = await this.labels(volumeId, volume, studyKey);
    const step = redo ? await session.redo() : await session.undo();
    return step && this.#change(volumeId, session, step);
  }

  async setSliceStatus(volumeId: string, volume: Volume, studyKey: string, slices: readonly number[], status: keyof typeof SliceStatus): Promise<LabelChange> {
    const { session } = await this.labels(volumeId, volume, studyKey);
    const bad = slices.find((z) => z >= session.sliceStatus.length);
    if (bad !== undefined) throw new UserFacingError('invalid-argument', `Slice ${bad} is outside the volume (${session.sliceStatus.length} slices).`);
    return this.#change(volumeId, session, await session.setSliceStatus(slices, SliceStatus[status]));
  }

  async setLocked(volumeId: string, volume: Volume, studyKey: string, classIndex: number, locked: boolean): Promise<number[]> {
    const { session } = await this.labels(volumeId, volume, studyKey);
    if (locked) session.lockedClasses.add(classIndex);
    else session.lockedClasses.delete(classIndex);
    return [...session.lockedClasses].sort((a, b) => a - b);
  }

  #change(volumeId: string, session: LabelSession, step: Step): LabelChange {
    return {
      volumeId,
      indices: step.diff.indices,
      values: step.diff.after,
      slices: step.status.slices,
      status: step.status.after,
      modelSlices: step.models?.slices ?? new Uint32Array(0),
      modelIndex: step.models?.after ?? new Uint16Array(0),
      revision: session.revision,
      canUndo: session.canUndo,
      canRedo: session.canRedo,
    };
  }

  run(volumeId: string, volume: Volume, studyKey: string, batch?: number): Promise<SegmentSummary> {
    return this.#runs.track(this.#run(volumeId, volume, studyKey, batch));
  }

  async #run(volumeId: string, volume: Volume, studyKey: string, batch?: number): Promise<SegmentSummary> {
    const model = this.#model;
    if (!model) throw new UserFacingError('not-found', 'No model is loaded; load a model first.');
    if (this.#running.has(volumeId)) throw new UserFacingError('invalid-argument', 'This volume is already being segmented.');
    const entry: { job?: SegmentJob; cancelled: boolean } = { cancelled: false };
    this.#running.set(volumeId, entry);
    try {
      const { session } = await this.labels(volumeId, volume, studyKey);
      const started = performance.now();
      const job = this.#inference.segment(volumeId, volume, {
        ...(batch === undefined ? {} : { batch }),
        onProgress: (p) => this.opts.onProgress({ volumeId, ...p }),
      });
      entry.job = job;
      if (entry.cancelled) job.cancel();
      const r = await job.result;
      const step = await session.applyModel(r.labels, r.completed, { model: `${model.name} ${model.version}` });
      if (r.sliceAxis === session.opts.statusAxis) this.#rememberUncertainty(studyKey, r.uncertainty, r.completed);
      const seconds = (performance.now() - started) / 1000;
      return {
        volumeId,
        model: { name: model.name, version: model.version },
        provider: model.provider,
        slices: r.uncertainty.length,
        completed: r.completed.length,
        cancelled: r.cancelled,
        seconds,
        secondsPerSlice: r.completed.length > 0 ? seconds / r.completed.length : 0,
        changedVoxels: step.diff.indices.length,
        uncertainty: Array.from(r.uncertainty, (u) => (Number.isNaN(u) ? null : u)),
      };
    } finally {
      this.#running.delete(volumeId);
    }
  }

  #rememberUncertainty(studyKey: string, u: Float64Array, completed: readonly number[]): void {
    let kept = this.#uncertainty.get(studyKey);
    if (!kept || kept.length !== u.length) {
      kept = new Float64Array(u.length).fill(NaN);
      this.#uncertainty.set(studyKey, kept);
    }
    for (const z of completed) kept[z] = u[z]!;
  }

  /** Active learning: the next slice of this study to review, most uncertain first. */
  async nextToReview(volumeId: string, volume: Volume, studyKey: string): Promise<ReviewSuggestion | null> {
    const { session } = await this.labels(volumeId, volume, studyKey);
    const u = this.#uncertainty.get(studyKey);
    if (!u) throw new UserFacingError('not-found', 'Run the model on this study first: slices are ranked by how unsure its last run was.');
    return nextToReview(u, session.sliceStatus);
  }

  cancel(volumeId: string): boolean {
    const entry = this.#running.get(volumeId);
    if (!entry) return false;
    entry.cancelled = true;
    entry.job?.cancel();
    return true;
  }

  /** A volume closed: save its study's labels, and close them with the study's last volume. */
  async close(volumeId: string): Promise<void> {
    const studyKey = this.#studyOf.get(volumeId);
    this.#studyOf.delete(volumeId);
    const shared = studyKey === undefined ? undefined : this.#labels.get(studyKey);
    if (!shared || studyKey === undefined) return;
    shared.volumes.delete(volumeId);
    const last = shared.volumes.size === 0;
    if (last) this.#labels.delete(studyKey);
    const { session } = await shared.open;
    await session.save();
    if (last) await session.close();
  }

  async dispose(): Promise<void> {
    // Runs first: cancelled, their finished slices applied and saved with the rest. A worker
    // that never answers is rejected by the inference service's own dispose below.
    for (const id of [...this.#running.keys()]) this.cancel(id);
    await this.#runs.settled(30_000);
    for (const id of [...this.#studyOf.keys()]) await this.close(id);
    await this.#inference.dispose();
  }
}
