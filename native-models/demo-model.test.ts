/**
 * The shipped demo model (native-models/models/demo) loads in
 * onnxruntime-node, is within its size budget, matches its card's file
 * hashes, and reproduces the card's Dice per organ within 0.01: on its
 * held-out slices of example_ct_sm (quality) and on every slice of the DICOM
 * series it never saw (provenance.unseenStudies). The slices are rebuilt from
 * ../shared/data/totalsegmentator by `hsam.py demo-eval-set` (windowed CT at
 * 224x224 and the mapped labels).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../common/contract/model-card.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.join(here, 'models', 'demo');

// Parsed with the workstation's own card contract: the shipped card must be one the app accepts.
const card = ModelCard.parse(JSON.parse(fs.readFileSync(path.join(demoDir, 'model.json'), 'utf8')));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hsam-demo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Per-class Dice (null: class absent from prediction and reference) of the shipped ONNX on a `demo-eval-set` folder. */
async function measure(args: string[]): Promise<{ slices: string[]; dice: Map<string, number | null> }> {
  const out = args[args.indexOf('--out') + 1]!;
  execFileSync('/usr/bin/python3', [path.join(here, 'hsam.py'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const meta = JSON.parse(fs.readFileSync(path.join(out, 'meta.json'), 'utf8')) as { size: number; count: number; slices: string[] };
  const s = meta.size;
  expect(s).toBe(card.input.size);
  const raw = fs.readFileSync(path.join(out, 'image.bin'));
  const images = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const gt = new Uint8Array(fs.readFileSync(path.join(out, 'labels.bin')));
  expect(images.length).toBe(meta.count * s * s);

  const enc = await ort.InferenceSession.create(path.join(demoDir, 'encoder.onnx'));
  const dec = await ort.InferenceSession.create(path.join(demoDir, 'decoder.onnx'));
  const n = card.classes.length;
  const inter = new Array<number>(n).fill(0);
  const sum = new Array<number>(n).fill(0);
  for (let k = 0; k < meta.count; k++) {
    const plane = images.subarray(k * s * s, (k + 1) * s * s);
    const x = new Float32Array(3 * s * s);
    for (let c = 0; c < 3; c++) x.set(plane, c * s * s); // grayscale slice in all 3 channels
    const e = await enc.run({ image: new ort.Tensor('float32', x, [1, 3, s, s]) });
    const d = await dec.run({ embeddings: e['embeddings'] as ort.Tensor });
    const labels = d['labels']?.data as Uint8Array;
    for (let p = 0; p < s * s; p++) {
      const a = labels[p] ?? 0;
      const b = gt[k * s * s + p] ?? 0;
      sum[a] = (sum[a] ?? 0) + 1;
      sum[b] = (sum[b] ?? 0) + 1;
      if (a === b) inter[a] = (inter[a] ?? 0) + 1;
    }
  }
  await enc.release();
  await dec.release();
  const dice = new Map<string, number | null>();
  for (const cls of card.classes.slice(1)) {
    const denom = sum[cls.index] ?? 0;
    dice.set(cls.name, denom === 0 ? null : (2 * (inter[cls.index] ?? 0)) / denom);
  }
  return { slices: meta.slices, dice };
}

/** Every organ's measured Dice against the stated one (absent from both = not stated); returns the largest difference. */
function compare(measured: Map<string, number | null>, stated: Record<string, number>): number {
  let worst = 0;
  for (const [name, dice] of measured) {
    const s = stated[name];
    if (s === undefined) {
      expect(dice, name).toBeNull();
    } else {
      expect(dice, name).not.toBeNull();
      worst = Math.max(worst, Math.abs((dice ?? 0) - s));
      expect(Math.abs((dice ?? 0) - s), name).toBeLessThanOrEqual(0.01);
    }
  }
  return worst;
}

describe('shipped demo model', () => {
  it('fits the 30 MB budget and matches the hashes in its card', () => {
    let total = 0;
    for (const name of fs.readdirSync(demoDir)) total += fs.statSync(path.join(demoDir, name)).size;
    expect(total).toBeLessThanOrEqual(30 * 1024 * 1024);
    expect(card.files.checkpoint).toBeDefined(); // model.pt, needed to fine-tune the demo
    for (const f of Object.values(card.files)) {
      if (!f) continue;
      const buf = fs.readFileSync(path.join(demoDir, f.path));
      expect(buf.length).toBe(f.bytes);
      expect(createHash('sha256').update(buf).digest('hex')).toBe(f.sha256);
    }
    expect(card.classes.map((c) => c.name)).toEqual([
      'background', 'spleen', 'kidney_right', 'kidney_left', 'gallbladder', 'liver', 'stomach', 'aorta', 'pancreas',
    ]);
  });

  it('reproduces the card held-out Dice per organ within 0.01', async () => {
    const { slices, dice } = await measure(['demo-eval-set', '--out', path.join(tmp, 'held-out')]);
    expect(card.quality).not.toBeNull();
    expect(slices).toEqual((card.quality?.heldOut as { slices: string[] }).slices);
    const worst = compare(dice, card.quality?.perClass ?? {});
    console.info(`demo Dice: max |ORT - card| = ${worst.toExponential(2)} over ${slices.length} held-out slices`);
  }, 120_000);

  it('reproduces the Dice its card states on the unseen DICOM series (all slices) within 0.01', async () => {
    // The demo is trained on example_ct_sm only; example_ct_dicom is another patient and scanner.
    const unseen = (card.provenance['unseenStudies'] as { study: string; slices: number; perClass: Record<string, number> }[] | undefined) ?? [];
    const dicom = unseen.find((u) => u.study === 'ct_dicom');
    expect(dicom).toBeDefined();
    const train = (card.provenance['trainingSet'] as { train: string[] }).train;
    expect(train.some((n) => n.startsWith('ct_dicom'))).toBe(false);
    const { slices, dice } = await measure(['demo-eval-set', '--sources', 'ct_dicom', '--all-slices', '--out', path.join(tmp, 'dicom')]);
    expect(slices).toHaveLength(dicom?.slices ?? -1);
    const worst = compare(dice, dicom?.perClass ?? {});
    console.info(`demo Dice on the unseen DICOM series: max |ORT - card| = ${worst.toExponential(2)} over ${slices.length} slices`);
  }, 120_000);
});
