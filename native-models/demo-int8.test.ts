/**
 * The demo's int8 variant (encoder.int8.onnx, `hsam.py quantize`) against its fp32 encoder, both
 * in onnxruntime-node with the same fp32 decoder, the int8 encoder called one slice at a time as
 * the app does (its activations' scale is per call): Dice per organ on the held-out slices changes by at most 0.01,
 * the labels agree on ≥ 99 % of the pixels of every slice of the shared CT and of the DICOM
 * series, and onnxruntime's profile shows the integer kernels running. The card's
 * variants.int8.measured states the same figures.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../common/contract/model-card.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.join(here, 'models', 'demo');
const card = ModelCard.parse(JSON.parse(fs.readFileSync(path.join(demoDir, 'model.json'), 'utf8')));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hsam-demo-int8-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const BATCH = 4;

interface EvalSet {
  count: number;
  size: number;
  images: Float32Array;
  labels: Uint8Array;
}

function evalSet(name: string, args: string[]): EvalSet {
  const out = path.join(tmp, name);
  execFileSync('/usr/bin/python3', [path.join(here, 'hsam.py'), 'demo-eval-set', '--out', out, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const meta = JSON.parse(fs.readFileSync(path.join(out, 'meta.json'), 'utf8')) as { size: number; count: number };
  const raw = fs.readFileSync(path.join(out, 'image.bin'));
  return {
    count: meta.count,
    size: meta.size,
    images: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
    labels: new Uint8Array(fs.readFileSync(path.join(out, 'labels.bin'))),
  };
}

/** Labels [count, S, S] of `encoder` (one slice per call) + the fp32 decoder (batches of BATCH). */
async function predict(encoder: string, set: EvalSet, profile?: string): Promise<Uint8Array> {
  const enc = await ort.InferenceSession.create(path.join(demoDir, encoder), {
    graphOptimizationLevel: 'all',
    ...(profile ? { enableProfiling: true, profileFilePrefix: profile } : {}),
  });
  const dec = await ort.InferenceSession.create(path.join(demoDir, card.files.decoder.path));
  const s = set.size;
  const embDims = card.outputs.embeddings.shape.slice(1) as number[];
  const dim = embDims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(set.count * s * s);
  for (let k = 0; k < set.count; k += BATCH) {
    const b = Math.min(BATCH, set.count - k);
    const x = new Float32Array(b * 3 * s * s);
    for (let i = 0; i < b; i++) {
      const plane = set.images.subarray((k + i) * s * s, (k + i + 1) * s * s);
      for (let c = 0; c < 3; c++) x.set(plane, (i * 3 + c) * s * s);
    }
    const emb = new Float32Array(b * dim);
    for (let i = 0; i < b; i++) {
      const e = await enc.run({ image: new ort.Tensor('float32', x.subarray(i * 3 * s * s, (i + 1) * 3 * s * s), [1, 3, s, s]) });
      emb.set(e['embeddings']?.data as Float32Array, i * dim);
    }
    const d = await dec.run({ embeddings: new ort.Tensor('float32', emb, [b, ...embDims]) }, ['labels']);
    out.set(d['labels']?.data as Uint8Array, k * s * s);
  }
  if (profile) enc.endProfiling();
  await enc.release();
  await dec.release();
  return out;
}

function dice(pred: Uint8Array, gt: Uint8Array): Map<string, number | null> {
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

function agreement(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let p = 0; p < a.length; p++) if (a[p] === b[p]) same++;
  return same / a.length;
}

const int8 = card.variants?.int8;
const measured = (int8?.measured ?? {}) as { heldOutDice?: { fp32: Record<string, number>; int8: Record<string, number> }; agreement?: Record<string, number> };

describe('demo int8 variant', () => {
  it('is offered by the card, and its Dice per organ on the held-out slices is within 0.01 of fp32', async () => {
    expect(int8?.encoder.path).toBe('encoder.int8.onnx');
    const set = evalSet('held-out', []);
    const prefix = path.join(tmp, 'profile');
    const [fp, q] = [dice(await predict('encoder.onnx', set), set.labels), dice(await predict('encoder.int8.onnx', set, prefix), set.labels)];
    console.info(`demo held-out Dice fp32 → int8: ${JSON.stringify({ fp32: Object.fromEntries(fp), int8: Object.fromEntries(q) })}`);
    for (const [name, d] of fp) {
      const di = q.get(name) ?? null;
      expect(d === null, name).toBe(di === null);
      expect(Math.abs((di ?? 0) - (d ?? 0)), name).toBeLessThanOrEqual(0.01);
      // The card states what this test measures.
      expect(Math.abs((measured.heldOutDice?.int8[name] ?? -1) - (di ?? 0)), `card ${name}`).toBeLessThanOrEqual(1e-3);
    }

    // The integer kernels ran: onnxruntime fuses DynamicQuantizeLinear + MatMulInteger + scale into DynamicQuantizeMatMul.
    const file = fs.readdirSync(tmp).find((f) => f.startsWith('profile') && f.endsWith('.json'));
    expect(file).toBeDefined();
    const events = JSON.parse(fs.readFileSync(path.join(tmp, file ?? ''), 'utf8')) as { cat: string; name: string; args?: { op_name?: string } }[];
    const integer = new Set(events.filter((e) => e.cat === 'Node' && e.args?.op_name === 'DynamicQuantizeMatMul').map((e) => e.name.replace(/_kernel_time$/, '')));
    // Every product with a weight matrix: 4 blocks × (qkv, proj, lin1, lin2); attention's q·kᵀ and a·v stay fp32.
    expect(integer.size).toBe(16);
  }, 180_000);

  it.each([
    ['ct_sm', 'shared CT example_ct_sm'],
    ['ct_dicom', 'DICOM series example_ct_dicom'],
  ])('labels agree with fp32 on at least 99 percent of the pixels of all slices of %s (%s)', async (source, what) => {
    const set = evalSet(source, ['--sources', source, '--all-slices']);
    const a = await predict('encoder.onnx', set);
    const b = await predict('encoder.int8.onnx', set);
    const all = agreement(a, b);
    console.info(`demo int8 vs fp32 label agreement on ${what} (${set.count} slices at ${set.size}²): ${all}`);
    expect(all).toBeGreaterThanOrEqual(0.99);
    expect(Math.abs((measured.agreement?.[source] ?? -1) - all)).toBeLessThanOrEqual(1e-3);
  }, 180_000);
});
