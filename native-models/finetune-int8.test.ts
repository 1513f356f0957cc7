/**
 * A fine-tuned model's int8 variant: fine-tuning the demo (whose card offers int8) writes
 * encoder.int8.onnx for the new weights, and the held-out Dice the trainer states for it in
 * variants.int8.measured (computed in PyTorch with the int8 graph's arithmetic, since the user's
 * Python has no onnxruntime) is what onnxruntime-node measures on the same slices, as is the fp32
 * quality. The set: 4 training slices of example_ct_sm, its 6 held-out demo slices as validation.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../common/contract/model-card.js';
import { writeTrainingSet } from '../test-support/finetune-set.js';
import { demoEvalSet, diceByClass, predictLabels } from '../test-support/model-eval.js';
import { PYTHON } from '../test-support/python.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.join(here, 'models', 'demo');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hsam-finetune-int8-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const HELD_OUT = [4, 5, 14, 15, 24, 25]; // the demo's held-out slices of example_ct_sm (demo-eval-set's default)

describe('fine-tuned int8 variant', () => {
  it('is written for the new weights, and its stated held-out Dice is what onnxruntime measures', async () => {
    const set = path.join(tmp, 'set');
    writeTrainingSet(set, { train: [8, 10, 12, 16], val: HELD_OUT });
    const out = path.join(tmp, 'ft');
    const args = ['finetune', '--set', set, '--model', demoDir, '--out', out, '--steps', '6', '--batch-size', '2', '--device', 'cpu'];
    execFileSync(PYTHON, [path.join(here, 'hsam.py'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const card = ModelCard.parse(JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')));
    const demo = ModelCard.parse(JSON.parse(fs.readFileSync(path.join(demoDir, 'model.json'), 'utf8')));
    expect(card.variants?.int8?.encoder.path).toBe('encoder.int8.onnx');
    expect(card.variants?.int8?.encoder.sha256).not.toBe(demo.variants?.int8?.encoder.sha256);
    const measured = card.variants?.int8?.measured as { heldOutDice: { fp32: Record<string, number>; int8: Record<string, number>; maxAbsChange: number; slices: number } };
    expect(measured.heldOutDice.slices).toBe(HELD_OUT.length);

    const slices = demoEvalSet(path.join(tmp, 'eval'), ['--sources', 'ct_sm']);
    expect(slices.count).toBe(HELD_OUT.length);
    const fp = diceByClass(card, await predictLabels(out, card, 'encoder.onnx', slices), slices.labels);
    const q = diceByClass(card, await predictLabels(out, card, 'encoder.int8.onnx', slices), slices.labels);
    console.info(`fine-tuned demo, held-out Dice in onnxruntime: ${JSON.stringify({ fp32: Object.fromEntries(fp), int8: Object.fromEntries(q) })}; card: ${JSON.stringify(measured.heldOutDice)}`);
    for (const [name, d] of fp) {
      if (d === null && q.get(name) === null) continue;
      expect(Math.abs((card.quality?.perClass[name] ?? -1) - (d ?? 0)), `fp32 ${name}`).toBeLessThanOrEqual(1e-3);
      expect(Math.abs((measured.heldOutDice.int8[name] ?? -1) - (q.get(name) ?? 0)), `int8 ${name}`).toBeLessThanOrEqual(3e-3);
      expect(Math.abs((q.get(name) ?? 0) - (d ?? 0)), `int8 vs fp32 ${name}`).toBeLessThanOrEqual(0.01);
    }
  }, 300_000);
});
