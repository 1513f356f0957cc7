/**
 * A model folder's labels and Dice on the demo's evaluation slices, in onnxruntime-node: the
 * slices come from `hsam.py demo-eval-set` (windowed CT at the model's size and the mapped labels,
 * raw .bin files), the encoder (fp32 or the int8 variant) runs one slice per call as the app runs
 * int8 (its activation scale is per call), the fp32 decoder in batches.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelCard } from '../common/contract/model-card.js';
import { argmax } from '../electron/services/inference/slice-steps.js';
import { REPO_ROOT } from './paths.js';
import { PYTHON } from './python.js';

export interface EvalSet {
  readonly count: number;
  readonly size: number;
  /** float32 [count, size, size] in [0, 1]. */
  readonly images: Float32Array;
  /** uint8 [count, size, size] class indices. */
  readonly labels: Uint8Array;
}

/** `hsam.py demo-eval-set --out <out> ...args` read back. */
export function demoEvalSet(out: string, args: readonly string[] = []): EvalSet {
  const script = path.join(REPO_ROOT, 'native-models', 'hsam.py');
  execFileSync(PYTHON, [script, 'demo-eval-set', '--out', out, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const meta = JSON.parse(fs.readFileSync(path.join(out, 'meta.json'), 'utf8')) as { size: number; count: number };
  const raw = fs.readFileSync(path.join(out, 'image.bin'));
  return {
    count: meta.count,
    size: meta.size,
    images: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
    labels: new Uint8Array(fs.readFileSync(path.join(out, 'labels.bin'))),
  };
}

/** Labels [count, S, S] of `encoder` in `dir` (one slice per call) + the card's fp32 decoder (batches of 4), argmax of its logits. */
export async function predictLabels(dir: string, card: ModelCard, encoder: string, set: EvalSet, profile?: string): Promise<Uint8Array> {
  const batch = 4;
  const enc = await ort.InferenceSession.create(path.join(dir, encoder), {
    graphOptimizationLevel: 'all',
    ...(profile ? { enableProfiling: true, profileFilePrefix: profile } : {}),
  });
  const dec = await ort.InferenceSession.create(path.join(dir, card.files.decoder.path));
  const s = set.size;
  const embDims = card.outputs.embeddings.shape.slice(1) as number[];
  const dim = embDims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(set.count * s * s);
  for (let k = 0; k < set.count; k += batch) {
    const b = Math.min(batch, set.count - k);
    const emb = new Float32Array(b * dim);
    for (let i = 0; i < b; i++) {
      const plane = set.images.subarray((k + i) * s * s, (k + i + 1) * s * s);
      const x = new Float32Array(3 * s * s);
      for (let c = 0; c < 3; c++) x.set(plane, c * s * s);
      const e = await enc.run({ image: new ort.Tensor('float32', x, [1, 3, s, s]) });
      emb.set(e['embeddings']?.data as Float32Array, i * dim);
    }
    const d = await dec.run({ embeddings: new ort.Tensor('float32', emb, [b, ...embDims]) }, ['logits']);
    const logits = d['logits']?.data as Float32Array;
    const n = card.classes.length;
    for (let i = 0; i < b; i++) out.set(argmax(logits.subarray(i * n * s * s, (i + 1) * n * s * s), n, s * s), (k + i) * s * s);
  }
  if (profile) enc.endProfiling();
  await enc.release();
  await dec.release();
  return out;
}

/** Dice per foreground class pooled over all pixels; null when the class is in neither. */
export function diceByClass(card: ModelCard, pred: Uint8Array, gt: Uint8Array): Map<string, number | null> {
  const n = card.classes.length;
  const inter = new Array<number>(n).fill(0);
  const sum = new Array<number>(n).fill(0);
  for (let p = 0; p < pred.length; p++) {
    const a = pred[p] ?? 0;
    const b = gt[p] ?? 0;
    sum[a] = (sum[a] ?? 0) + 1;
    sum[b] = (sum[b] ?? 0) + 1;
    if (a === b) inter[a] = (inter[a] ?? 0) + 1;
  }
  return new Map(card.classes.slice(1).map((c) => [c.name, sum[c.index] ? (2 * (inter[c.index] ?? 0)) / (sum[c.index] ?? 1) : null]));
}

/** Fraction of pixels with the same label. */
export function agreement(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let p = 0; p < a.length; p++) if (a[p] === b[p]) same++;
  return same / a.length;
}
