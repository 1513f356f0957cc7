/**
 * The main-thread face of inference: one worker thread (started on first use) that holds the
 * model sessions. Requests are matched to replies by id; if the worker dies (out of memory, a
 * native crash), every pending request fails with a message and the next request starts a new
 * worker, so a model can never take the main process down with it.
 */
import type { Worker } from 'node:worker_threads';
import type { ModelCard } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { VoxelArray } from '../../../common/contract/volume.js';
import type { Geometry } from '../imaging/volume.js';
import { InFlight } from '../in-flight.js';
import { startWorker } from '../workers/start-worker.js';
import { batchForMemory } from './batch-size.js';
import { loadModelFolder } from './model-folder.js';
import type { Device, ProviderReport } from './ort-engine.js';
import type { InferenceReply, InferenceRequest } from './protocol.js';
import type { SegmentProgress } from './segment-volume.js';

export interface LoadedModel {
  readonly card: ModelCard;
  readonly report: ProviderReport;
}

export interface Segmentation {
  readonly labels: Uint8Array;
  readonly uncertainty: Float64Array;
  /** Per voxel: normalised entropy × 255, 0 where no slice ran (see SegmentResult.entropy). */
  readonly entropy: Uint8Array;
  readonly completed: readonly number[];
  readonly cancelled: boolean;
  readonly sliceAxis: 0 | 1 | 2;
}

export interface SegmentJob {
  readonly result: Promise<Segmentation>;
  /** Stop after the batch in flight; the result keeps every finished slice. */
  cancel(): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  resolve(reply: InferenceReply): void;
  reject(e: Error): void;
  onProgress?: ((p: SegmentProgress) => void) | undefined;
}

/** Pixels of the largest slice a view of the volume can have (the pipeline picks its axis later). */
const slicePixels = (v: Geometry): number => Math.max(v.dims[0] * v.dims[1], v.dims[1] * v.dims[2], v.dims[0] * v.dims[2]);

export class InferenceService {
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #requests = new InFlight();
  #model: LoadedModel | null = null;

  get model(): LoadedModel | null {
    return this.#model;
  }

  /** Validate the folder here (fast, clear errors), then create the sessions in the worker. */
  async loadModel(modelDir: string, device: Device = 'auto'): Promise<LoadedModel> {
    await loadModelFolder(modelDir);
    const reply = await this.#request({ type: 'load', modelDir, device });
    if (reply.type !== 'loaded') throw new Error(`unexpected reply ${reply.type}`);
    this.#model = { card: reply.card, report: reply.report };
    return this.#model;
  }

  segment(
    volumeKey: string,
    volume: Geometry & { readonly voxels: VoxelArray; readonly modality?: string | undefined },
    opts: { batch?: number; slices?: readonly number[]; output?: Uint8Array; onProgress?: (p: SegmentProgress) => void } = {},
  ): SegmentJob {
    if (!this.#model) throw new UserFacingError('not-found', 'No model is loaded; load a model first.');
    const id = this.#nextId++;
    const { dims, spacing, origin, direction, voxels } = volume;
    const result = this.#request(
      {
        type: 'segment',
        volumeKey,
        volume: { dims, spacing, origin, direction, voxels },
        modality: volume.modality,
        batch: opts.batch ?? batchForMemory(this.#model.card, slicePixels(volume)),
        ...(opts.slices ? { slices: opts.slices } : {}),
        ...(opts.output ? { output: opts.output } : {}),
      },
      opts.onProgress,
      id,
    ).then((reply) => {
      if (reply.type !== 'segmented') throw new Error(`unexpected reply ${reply.type}`);
      const { labels, uncertainty, entropy, completed, cancelled, sliceAxis } = reply;
      return { labels, uncertainty, entropy, completed, cancelled, sliceAxis };
    });
    return { result, cancel: () => this.#worker?.postMessage({ type: 'cancel', id } satisfies InferenceRequest) };
  }

  /**
   * Stop the worker. Runs in flight are cancelled and awaited first (at most `graceMs`):
   * terminating a thread inside onnxruntime's session.run aborts the whole process
   * ("terminate called after throwing an instance of 'Napi::Error'").
   */
  async dispose(graceMs = 30_000): Promise<void> {
    const w = this.#worker;
    for (const id of this.#pending.keys()) w?.postMessage({ type: 'cancel', id } satisfies InferenceRequest);
    await this.#requests.settled(graceMs);
    this.#worker = null;
    this.#model = null;
    for (const p of this.#pending.values()) p.reject(new UserFacingError('cancelled', 'The workstation closed before the model finished.'));
    this.#pending.clear();
    await w?.terminate();
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const w = startWorker(import.meta.url, './worker.ts', 'inference-worker.mjs');
    w.on('message', (reply: InferenceReply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      if (reply.type === 'progress') {
        p.onProgress?.(reply.progress);
        return;
      }
      this.#pending.delete(reply.id);
      if (reply.type === 'error') p.reject(reply.code ? new UserFacingError(reply.code, reply.message) : new Error(reply.message));
      else p.resolve(reply);
    });
    const died = (why: string): void => {
      if (this.#worker !== w) return;
      this.#worker = null;
      this.#model = null;
      for (const p of this.#pending.values()) p.reject(new UserFacingError('internal', `The inference worker stopped (${why}); load the model again.`));
      this.#pending.clear();
    };
    w.on('error', (e) => died(e.message));
    w.on('exit', (code) => died(`exit code ${code}`));
    this.#worker = w;
    return w;
  }

  #request(
    req: DistributiveOmit<InferenceRequest, 'id'>,
    onProgress?: (p: SegmentProgress) => void,
    id: number = this.#nextId++,
  ): Promise<InferenceReply> {
    const w = this.#ensureWorker();
    return this.#requests.track(
      new Promise((resolve, reject) => {
        this.#pending.set(id, { resolve, reject, onProgress });
        w.postMessage({ ...req, id });
      }),
    );
  }
}
