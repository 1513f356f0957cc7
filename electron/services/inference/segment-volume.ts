/**
 * The volume pipeline of one-click segmentation:
 *
 *   slices (model frame, see slice-frame.ts) → preprocessing (window and scale as the card says,
 *   bilinear to S×S, 3 equal channels) → encoder (embeddings, cached) → decoder (logits N×S×S) →
 *   post-processing (softmax, bilinear back to the slice grid, argmax; per-pixel entropy and
 *   per-slice uncertainty) → labels and entropy (one byte) written into the volume's own voxel
 *   order.
 *
 * The pre/post-processing steps (slice-steps.ts) run in onnxruntime when the engine has the
 * model folder's slice graphs, in JavaScript otherwise; a whole batch per call either way.
 * Slices run in batches; progress is reported after each, in order; an abort stops after the
 * batches in flight (one, or up to three overlapping on a pipelined engine) and keeps every
 * finished slice. Pure computation over an `Engine`, so it runs the same
 * in a worker, the CLI and tests.
 */
import type { ModelCard } from '../../../common/contract/model-card.js';
import type { VoxelArray } from '../../../common/contract/volume.js';
import type { Geometry } from '../imaging/volume.js';
import { inferModality, preprocessingFor } from '../preprocessing/model-input.js';
import { readSlice, sliceFrame, writeSlice, type SliceFrame } from '../preprocessing/slice-frame.js';
import { jsSliceSteps, type SliceSteps } from './slice-steps.js';

/** Runs the two graphs on a batch; shapes as in the card ([B,3,S,S] → [B,C,g,g] → [B,N,S,S]). */
export interface Engine {
  encode(images: Float32Array, batch: number): Promise<Float32Array>;
  decode(embeddings: Float32Array, batch: number): Promise<Float32Array>;
  /** The model folder's slice graphs in onnxruntime, when it has them; JavaScript otherwise. */
  readonly sliceSteps?: SliceSteps;
  /**
   * The engine's sessions each use part of the cores (a small model, whose operators are too
   * small for many threads each): segmentVolume overlaps the batches' stages instead.
   */
  readonly pipelined?: boolean;
}

/** Where encoded slices' embeddings are kept between runs (a Map will do). */
export interface EmbeddingStore {
  has(slice: number): boolean;
  get(slice: number): Float32Array | undefined;
  set(slice: number, embeddings: Float32Array): unknown;
}

export interface SegmentProgress {
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
  /** Estimated time to finish, from the mean time per slice so far. */
  readonly etaMs: number;
  /** The slices this batch finished (their labels are in the output array from now on). */
  readonly slices: readonly number[];
}

export interface SegmentOptions {
  readonly modality: string | undefined;
  readonly batch?: number;
  /** Slices to run (model-frame indices); all when absent. */
  readonly slices?: readonly number[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SegmentProgress) => void;
  /** Where to write the labels (volume-sized; shared memory lets main read finished slices during the run). */
  readonly output?: Uint8Array;
  /** Where to write the per-voxel entropy (volume-sized); a new array when absent. */
  readonly entropyOutput?: Uint8Array;
  /** Embeddings of slices already encoded, by slice index; filled as slices are encoded. */
  readonly embeddingCache?: EmbeddingStore;
}

export interface SegmentResult {
  /** Class index per voxel, in the volume's voxel order; 0 where no slice ran. */
  readonly labels: Uint8Array;
  /** Mean normalised entropy (0 = certain, 1 = uniform) inside each slice's predicted foreground; NaN where not run, 0 for an empty slice. */
  readonly uncertainty: Float64Array;
  /**
   * Per voxel, in the volume's voxel order: the normalised entropy × 255, rounded (one byte a
   * voxel, as the labels: 75 MB on a 512×512×300 CT where float32 would take 300); 0 where no
   * slice ran.
   */
  readonly entropy: Uint8Array;
  readonly frame: SliceFrame;
  readonly completed: readonly number[];
  readonly cancelled: boolean;
}

export async function segmentVolume(
  volume: Geometry & { readonly voxels: VoxelArray },
  card: ModelCard,
  engine: Engine,
  opts: SegmentOptions,
): Promise<SegmentResult> {
  const pre = preprocessingFor(card, inferModality(opts.modality, volume.voxels));
  const frame = sliceFrame(volume, pre.orientation);
  const s = card.input.size;
  const n = card.classes.length;
  const { width: w, height: h } = frame;
  const batchSize = Math.max(1, opts.batch ?? 4);
  const todo = [...(opts.slices ?? Array.from({ length: frame.depth }, (_, z) => z))];
  const labels = opts.output ?? new Uint8Array(volume.voxels.length);
  const uncertainty = new Float64Array(frame.depth).fill(Number.NaN);
  const entropyOut = opts.entropyOutput ?? new Uint8Array(volume.voxels.length);
  const completed: number[] = [];
  const started = performance.now();
  const steps = engine.sliceSteps ?? jsSliceSteps;

  const cache = opts.embeddingCache;

  /** Pre-processing and encoder for the slices of a batch whose embeddings are not cached. */
  const encodeBatch = async (zs: readonly number[]): Promise<Float32Array> => {
    const missing = zs.filter((z) => !cache?.has(z));
    const fresh = new Map<number, Float32Array>();
    if (missing.length > 0) {
      const raw = new Float32Array(missing.length * w * h);
      missing.forEach((z, i) => readSlice(frame, volume.voxels, z, raw.subarray(i * w * h, (i + 1) * w * h)));
      const images = await steps.preprocess(raw, { batch: missing.length, width: w, height: h }, pre, s);
      const emb = await engine.encode(images, missing.length);
      const per = emb.length / missing.length;
      missing.forEach((z, i) => fresh.set(z, emb.slice(i * per, (i + 1) * per)));
    }
    const embOf = (z: number): Float32Array => (fresh.get(z) ?? cache?.get(z)) as Float32Array;
    const per = embOf(zs[0]!).length;
    const embeddings = new Float32Array(zs.length * per);
    zs.forEach((z, i) => embeddings.set(embOf(z), i * per));
    for (const [z, e] of fresh) cache?.set(z, e);
    return embeddings;
  };

  /** Post-processing of a batch's logits, written into the outputs, and its progress. */
  const finishBatch = async (zs: readonly number[], logits: Float32Array): Promise<void> => {
    const b = zs.length;
    const post = await steps.postprocess(logits, { batch: b, width: w, height: h }, n, s);
    zs.forEach((z, i) => {
      uncertainty[z] = post.uncertainty[i]!;
      writeSlice(frame, labels, z, post.labels.subarray(i * w * h, (i + 1) * w * h));
      writeSlice(frame, entropyOut, z, post.entropy.subarray(i * w * h, (i + 1) * w * h));
      completed.push(z);
    });
    const elapsedMs = performance.now() - started;
    opts.onProgress?.({
      done: completed.length,
      total: todo.length,
      elapsedMs,
      etaMs: (elapsedMs / completed.length) * (todo.length - completed.length),
      slices: zs,
    });
  };

  // Three stages, each in batch order: encode → decode → finish. A pipelined engine (sessions on
  // part of the cores each) lets batch k+1 encode while batch k decodes and k-1 finishes; otherwise
  // one batch at a time, each stage using every core.
  const ahead = engine.pipelined ? 2 : 0;
  const inFlight: Promise<void>[] = [];
  let encoded: Promise<unknown> = Promise.resolve();
  let decoded: Promise<unknown> = Promise.resolve();
  let finished: Promise<unknown> = Promise.resolve();
  // After an abort, no batch starts and a stage not yet begun is skipped (null); one under way ends and is kept.
  const aborted = (): boolean => opts.signal?.aborted === true;
  try {
    for (let at = 0; at < todo.length && !aborted(); at += batchSize) {
      const zs = todo.slice(at, at + batchSize);
      const [prevEnc, prevDec, prevFin] = [encoded, decoded, finished];
      const emb = prevEnc.then(() => (aborted() ? null : encodeBatch(zs)));
      const logits = Promise.all([emb, prevDec]).then(([e]) => (e === null || aborted() ? null : engine.decode(e, zs.length)));
      const done = Promise.all([logits, prevFin]).then(([l]) => (l === null ? undefined : finishBatch(zs, l)));
      [encoded, decoded, finished] = [emb, logits, done];
      // A failed stage fails every later one: marked handled here (the awaits below still throw),
      // so a later batch's rejection is never reported as unhandled while an earlier one is awaited.
      for (const p of [emb, logits, done]) p.catch(() => undefined);
      inFlight.push(done);
      if (inFlight.length > ahead) await inFlight.shift();
    }
    while (inFlight.length > 0) await inFlight.shift();
  } catch (e) {
    // Let the batches still running end before the caller may release the engine.
    await Promise.allSettled(inFlight);
    throw e;
  }
  return { labels, uncertainty, entropy: entropyOut, frame, completed, cancelled: completed.length < todo.length };
}
