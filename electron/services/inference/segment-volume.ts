/**
 * The volume pipeline of one-click segmentation:
 *
 *   slice (model frame, see slice-frame.ts) → window and scale as the card says → bilinear to
 *   S×S → 3 equal channels → encoder (embeddings, cached) → decoder (logits N×S×S) → softmax →
 *   bilinear back to the slice grid (probabilities, then argmax) → labels, per-pixel entropy
 *   and per-slice uncertainty → labels and entropy (one byte) written into the volume's own
 *   voxel order.
 *
 * Slices run in batches; progress is reported after each; an abort stops after the batch in
 * flight and keeps every finished slice. Pure computation over an `Engine`, so it runs the same
 * in a worker, the CLI and tests.
 */
import type { ModelCard } from '../../../common/contract/model-card.js';
import type { VoxelArray } from '../../../common/contract/volume.js';
import type { Geometry } from '../imaging/volume.js';
import { resizeBilinear } from './resample.js';
import { applyWindow, inferModality, preprocessingFor } from '../preprocessing/model-input.js';
import { readSlice, sliceFrame, writeSlice, type SliceFrame } from '../preprocessing/slice-frame.js';

/** Runs the two graphs on a batch; shapes as in the card ([B,3,S,S] → [B,C,g,g] → [B,N,S,S]). */
export interface Engine {
  encode(images: Float32Array, batch: number): Promise<Float32Array>;
  decode(embeddings: Float32Array, batch: number): Promise<Float32Array>;
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

/**
 * Softmax over N channel planes of `pixels` each, in place, returning per-pixel argmax and the
 * normalised entropy of each pixel.
 *
 * The entropy uses H = log Σe − Σ e·(x − max) / Σe (with e = exp(x − max)), which equals
 * −Σ q log q but takes one log per pixel instead of one per class: at 512² × 9 classes that
 * makes the largest JavaScript step of the pipeline a quarter to a third faster.
 */
export function softmaxArgmax(logits: Float32Array, n: number, pixels: number): { labels: Uint8Array; entropy: Float32Array } {
  const labels = new Uint8Array(pixels);
  const entropy = new Float32Array(pixels);
  const norm = 1 / Math.log(n);
  for (let p = 0; p < pixels; p++) {
    let max = -Infinity;
    for (let c = 0; c < n; c++) max = Math.max(max, logits[c * pixels + p]!);
    let sum = 0;
    let weighted = 0;
    for (let c = 0; c < n; c++) {
      const d = logits[c * pixels + p]! - max;
      const e = Math.exp(d);
      logits[c * pixels + p] = e;
      sum += e;
      weighted += e * d;
    }
    let best = 0;
    let bestP = -1;
    for (let c = 0; c < n; c++) {
      const q = logits[c * pixels + p]! / sum;
      logits[c * pixels + p] = q;
      if (q > bestP) {
        bestP = q;
        best = c;
      }
    }
    labels[p] = best;
    // Rounding can take H a hair outside [0, log n].
    entropy[p] = Math.min(1, Math.max(0, (Math.log(sum) - weighted / sum) * norm));
  }
  return { labels, entropy };
}

/** Argmax of N probability planes. */
function argmax(probs: Float32Array, n: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let best = 0;
    let bestP = probs[p]!;
    for (let c = 1; c < n; c++) {
      const q = probs[c * pixels + p]!;
      if (q > bestP) {
        bestP = q;
        best = c;
      }
    }
    out[p] = best;
  }
  return out;
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
  const quantised = new Uint8Array(w * h);
  const completed: number[] = [];
  const started = performance.now();
  const slice = new Float32Array(w * h);

  for (let at = 0; at < todo.length; at += batchSize) {
    if (opts.signal?.aborted) return { labels, uncertainty, entropy: entropyOut, frame, completed, cancelled: true };
    const zs = todo.slice(at, at + batchSize);
    const b = zs.length;

    // Encoder on the slices whose embeddings are not cached.
    const cache = opts.embeddingCache;
    const missing = zs.filter((z) => !cache?.has(z));
    const fresh = new Map<number, Float32Array>();
    if (missing.length > 0) {
      const images = new Float32Array(missing.length * 3 * s * s);
      missing.forEach((z, i) => {
        const plane = resizeBilinear(applyWindow(readSlice(frame, volume.voxels, z, slice), pre), 1, w, h, s, s);
        for (let ch = 0; ch < 3; ch++) images.set(plane, (i * 3 + ch) * s * s);
      });
      const emb = await engine.encode(images, missing.length);
      const per = emb.length / missing.length;
      missing.forEach((z, i) => fresh.set(z, emb.slice(i * per, (i + 1) * per)));
    }
    const embOf = (z: number): Float32Array => (fresh.get(z) ?? cache?.get(z)) as Float32Array;
    const per = embOf(zs[0]!).length;
    const embeddings = new Float32Array(b * per);
    zs.forEach((z, i) => embeddings.set(embOf(z), i * per));
    for (const [z, e] of fresh) cache?.set(z, e);

    const logits = await engine.decode(embeddings, b);
    zs.forEach((z, i) => {
      const own = logits.subarray(i * n * s * s, (i + 1) * n * s * s);
      const { labels: atModel, entropy } = softmaxArgmax(own, n, s * s);
      let sliceLabels = atModel;
      let sliceEntropy = entropy;
      if (w !== s || h !== s) {
        const probs = resizeBilinear(own, n, s, s, w, h);
        sliceLabels = argmax(probs, n, w * h);
        sliceEntropy = resizeBilinear(entropy, 1, s, s, w, h);
      }
      let sum = 0;
      let count = 0;
      for (let p = 0; p < sliceLabels.length; p++) {
        if (sliceLabels[p] !== 0) {
          sum += sliceEntropy[p]!;
          count++;
        }
      }
      uncertainty[z] = count > 0 ? sum / count : 0;
      for (let p = 0; p < quantised.length; p++) quantised[p] = sliceEntropy[p]! * 255 + 0.5; // rounds: a Uint8Array truncates
      writeSlice(frame, labels, z, sliceLabels);
      writeSlice(frame, entropyOut, z, quantised);
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
  }
  return { labels, uncertainty, entropy: entropyOut, frame, completed, cancelled: false };
}
