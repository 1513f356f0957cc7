/**
 * The per-pixel steps around the model's two graphs, for a batch of slices:
 *
 *   pre:  raw slice values [B,H,W] → window and scale as the card says → bilinear to S×S →
 *         3 equal channels [B,3,S,S] (the encoder's input)
 *   post: logits [B,N,S,S] → bilinear to H×W → labels = argmax [B,H,W] (at H×W = S×S exactly the
 *         decoder's own labels); normalised softmax entropy at S×S, bilinear to H×W →
 *         uncertainty = its mean over the pixels labelled foreground (0 when none) [B];
 *         that entropy per pixel as one byte, round(255 · H) [B,H,W]
 *
 * Bilinear everywhere is PyTorch's align_corners=False (half-pixel centres). A model folder
 * written since the slice graphs exist carries them as preprocess.onnx and postprocess.onnx
 * (native-models/hsam/slice_graphs.py) and onnxruntime runs them (ort-engine.ts); for older
 * folders `jsSliceSteps` does the same in JavaScript. Both give the same labels
 * (slice-steps.test.ts).
 */
import type { Preprocessing } from '../../../common/contract/model-card.js';
import { applyWindow } from '../preprocessing/model-input.js';
import { resizeBilinear } from './resample.js';

/** A batch of slices of one volume, in the model's slice frame. */
export interface SliceBatch {
  readonly batch: number;
  readonly width: number;
  readonly height: number;
}

export interface PostResult {
  /** Class index per pixel [B,H,W]. */
  readonly labels: Uint8Array;
  /** Per slice: mean normalised entropy inside the predicted foreground, 0 for an empty slice. */
  readonly uncertainty: ArrayLike<number>;
  /** Normalised entropy per pixel [B,H,W] as round(255 · H): the uncertainty overlay's data. */
  readonly entropy: Uint8Array;
}

export interface SliceSteps {
  /** Raw values [B,H,W] → encoder input [B,3,S,S]. */
  preprocess(slices: Float32Array, shape: SliceBatch, p: Preprocessing, size: number): Promise<Float32Array>;
  /** Logits [B,N,S,S] → labels and uncertainty; may overwrite `logits`. */
  postprocess(logits: Float32Array, shape: SliceBatch, classes: number, size: number): Promise<PostResult>;
}

/**
 * Softmax over N channel planes of `pixels` each, in place, returning per-pixel argmax and the
 * normalised entropy of each pixel.
 *
 * The entropy uses H = log Σe − Σ e·(x − max) / Σe (with e = exp(x − max)), which equals
 * −Σ q log q but takes one log per pixel instead of one per class.
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

/** Argmax of N planes (first class on ties, as onnxruntime's ArgMax). */
export function argmax(probs: Float32Array, n: number, pixels: number): Uint8Array {
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

/** The steps in JavaScript, one slice at a time (model folders without the slice graphs). */
export const jsSliceSteps: SliceSteps = {
  async preprocess(slices, { batch, width: w, height: h }, p, s) {
    const images = new Float32Array(batch * 3 * s * s);
    for (let i = 0; i < batch; i++) {
      const raw = slices.slice(i * w * h, (i + 1) * w * h);
      const plane = resizeBilinear(applyWindow(raw, p), 1, w, h, s, s);
      for (let ch = 0; ch < 3; ch++) images.set(plane, (i * 3 + ch) * s * s);
    }
    return images;
  },
  async postprocess(logits, { batch, width: w, height: h }, n, s) {
    const labels = new Uint8Array(batch * w * h);
    const uncertainty = new Float64Array(batch);
    const entropyBytes = new Uint8Array(batch * w * h);
    for (let i = 0; i < batch; i++) {
      const own = logits.subarray(i * n * s * s, (i + 1) * n * s * s);
      const resize = w !== s || h !== s;
      // Labels from the logits before softmaxArgmax turns them into probabilities in place.
      const sliceLabels = argmax(resize ? resizeBilinear(own, n, s, s, w, h) : own, n, w * h);
      const { entropy } = softmaxArgmax(own, n, s * s);
      const sliceEntropy = resize ? resizeBilinear(entropy, 1, s, s, w, h) : entropy;
      let sum = 0;
      let count = 0;
      for (let p = 0; p < sliceLabels.length; p++) {
        if (sliceLabels[p] !== 0) {
          sum += sliceEntropy[p]!;
          count++;
        }
      }
      uncertainty[i] = count > 0 ? sum / count : 0;
      labels.set(sliceLabels, i * w * h);
      // A Uint8Array truncates: + 0.5 rounds (as the graph's Floor(255 · H + 0.5)).
      for (let p = 0; p < sliceEntropy.length; p++) entropyBytes[i * w * h + p] = sliceEntropy[p]! * 255 + 0.5;
    }
    return { labels, uncertainty, entropy: entropyBytes };
  },
};
