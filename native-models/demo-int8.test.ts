/**
 * The demo's int8 variant (encoder.int8.onnx, `hsam.py quantize`) against its fp32 encoder, both
 * in onnxruntime-node with the same fp32 decoder, the int8 encoder called one slice at a time as
 * the app does (its activations' scale is per call): Dice per organ on the held-out slices changes by at most 0.01,
 * the labels agree on ≥ 99 % of the pixels of every slice of the shared CT and of the DICOM
 * series, and onnxruntime's profile shows the integer kernels running. The card's
 * variants.int8.measured states the same figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../common/contract/model-card.js';
import { agreement, demoEvalSet, diceByClass, predictLabels, type EvalSet } from '../test-support/model-eval.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.join(here, 'models', 'demo');
const card = ModelCard.parse(JSON.parse(fs.readFileSync(path.join(demoDir, 'model.json'), 'utf8')));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hsam-demo-int8-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const evalSet = (name: string, args: string[]): EvalSet => demoEvalSet(path.join(tmp, name), args);
const predict = (encoder: string, set: EvalSet, profile?: string): Promise<Uint8Array> => predictLabels(demoDir, card, encoder, set, profile);
const dice = (pred: Uint8Array, gt: Uint8Array): Map<string, number | null> => diceByClass(card, pred, gt);

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
