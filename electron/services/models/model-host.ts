/**
 * The loaded model and its runs: load a model folder (sessions in the inference worker), run it
 * over a study's volume, cancel a run. It knows nothing of labels: a run's result goes to the
 * study, which merges it like any other undoable step.
 */
import type { EventPayload } from '../../../common/contract/api.js';
import type { ModelCard } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { ModelId, ModelStatus } from '../../../common/contract/segmentation.js';
import type { Volume } from '../imaging/volume.js';
import { InFlight } from '../in-flight.js';
import { InferenceService, type SegmentJob, type Segmentation } from '../inference/inference-service.js';
import type { Device } from '../inference/ort-engine.js';

export interface ModelRun extends Segmentation {
  readonly model: ModelId;
  readonly provider: string;
  readonly seconds: number;
}

export interface RunOptions {
  readonly batch?: number | undefined;
  readonly onProgress: (p: Omit<EventPayload<'segmentProgress'>, 'volumeId'>) => void;
  /** After each batch: the slices it finished and the run's labels so far (volume-sized, the worker keeps writing). */
  readonly onSlices?: ((slices: readonly number[], labels: Uint8Array) => void) | undefined;
}

export class ModelHost {
  readonly #inference = new InferenceService();
  #status: ModelStatus | null = null;
  #card: ModelCard | null = null;
  #dir: string | null = null;
  /** Runs by key (the volume id); `cancelled` catches a cancel that arrives before the worker has the job. */
  readonly #running = new Map<string, { job?: SegmentJob; cancelled: boolean }>();
  /** Every run until it settles, so disposing can wait for them. */
  readonly #runs = new InFlight();

  get status(): ModelStatus | null {
    return this.#status;
  }

  /** The loaded model's folder. */
  get dir(): string | null {
    return this.#dir;
  }

  /** The loaded model's card (classes, preprocessing, provenance). */
  get card(): ModelCard | null {
    return this.#card;
  }

  /** The loaded card, or a sentence saying why there is none. */
  requireCard(why = 'load a model first'): ModelCard {
    if (!this.#card) throw new UserFacingError('not-found', `No model is loaded; ${why}.`);
    return this.#card;
  }

  async load(dir: string, device: Device = 'auto'): Promise<ModelStatus> {
    if (this.#running.size > 0) throw new UserFacingError('busy', 'A segmentation is running; cancel it before changing the model.');
    const { card, report } = await this.#inference.loadModel(dir, device);
    this.#card = card;
    this.#dir = dir;
    this.#status = {
      name: card.name,
      version: card.version,
      description: card.description,
      classes: card.classes,
      modalities: Object.keys(card.preprocessing),
      provider: report.provider,
      skipped: report.skipped,
      precision: report.precision,
      meanDice: card.quality?.mean ?? null,
    };
    return this.#status;
  }

  /**
   * Run the model over every slice of a volume. `key` names the run (for cancel) and the volume
   * (for the worker's embedding cache); the run counts as started at once, so a cancel that
   * arrives while the volume is still being looked up stops it. The voxels reach the worker
   * without a copy when they are in shared memory (see Study.volumeForWorker).
   */
  run(key: string, volume: Volume | Promise<Volume>, opts: RunOptions): Promise<ModelRun> {
    return this.#runs.track(this.#run(key, volume, opts));
  }

  async #run(key: string, volume: Volume | Promise<Volume>, opts: RunOptions): Promise<ModelRun> {
    const status = this.#status;
    if (!status) throw new UserFacingError('not-found', 'No model is loaded; load a model first.');
    if (this.#running.has(key)) throw new UserFacingError('busy', 'This volume is already being segmented.');
    const entry: { job?: SegmentJob; cancelled: boolean } = { cancelled: false };
    this.#running.set(key, entry);
    try {
      const started = performance.now();
      const v = await volume;
      // The worker writes into shared memory, so finished slices can be shown before the run ends.
      const output = opts.onSlices ? new Uint8Array(new SharedArrayBuffer(v.voxels.length)) : undefined;
      const job = this.#inference.segment(key, v, {
        ...(opts.batch === undefined ? {} : { batch: opts.batch }),
        ...(output ? { output } : {}),
        onProgress: ({ slices, ...p }) => {
          opts.onProgress(p);
          if (output) opts.onSlices?.(slices, output);
        },
      });
      entry.job = job;
      if (entry.cancelled) job.cancel();
      const r = await job.result;
      return { ...r, model: { name: status.name, version: status.version }, provider: status.provider, seconds: (performance.now() - started) / 1000 };
    } finally {
      this.#running.delete(key);
    }
  }

  cancel(key: string): boolean {
    const entry = this.#running.get(key);
    if (!entry) return false;
    entry.cancelled = true;
    entry.job?.cancel();
    return true;
  }

  /** Cancel every run; each still resolves with the slices it finished. */
  cancelAll(): void {
    for (const key of [...this.#running.keys()]) this.cancel(key);
  }

  async dispose(): Promise<void> {
    // A worker that never answers is rejected by the inference service's own dispose below.
    this.cancelAll();
    await this.#runs.settled(30_000);
    await this.#inference.dispose();
  }
}
