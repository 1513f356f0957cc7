/**
 * `hsam finetune --nproc 2`: the trainer started by torch.distributed.run as two data-parallel
 * processes (gloo, CPU) gives the loss of one process with the same global batch and seed, one
 * model folder at --out and nothing beside it; a batch the processes cannot share is refused
 * with a sentence. (The loss curve, step by step: native-models/tests/test_distributed.py.)
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHsam } from '../../test-support/cli.js';
import { writeTrainingSet } from '../../test-support/finetune-set.js';
import { REPO_ROOT } from '../../test-support/paths.js';
import { PYTHON } from '../../test-support/python.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const work = mkdtempSync(join(tmpdir(), 'hsam-finetune-nproc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const SET = join(work, 'set');

beforeAll(() => {
  writeTrainingSet(SET, { train: [9, 11, 13, 17], val: [15], id: 'nproc-set' });
});

interface Summary {
  out: string;
  processes: number;
  steps: number;
  loss: { first: number; last: number };
  dice: { meanAfter: number };
}

const finetune = async (out: string, extra: string[]): Promise<{ code: number; err: string; s: Summary | null }> => {
  const r = await runHsam(['finetune', '--set', SET, '--model', DEMO, '--out', out, '--steps', '3', '--batch-size', '2', '--seed', '5', '--python', PYTHON, '--device', 'cpu', ...extra]);
  return { code: r.code, err: r.err, s: r.code === 0 ? (JSON.parse(r.out) as Summary) : null };
};

describe('hsam finetune --nproc', () => {
  it('2 processes train like 1 on the same global batch; one model folder, written once', async () => {
    const one = await finetune(join(work, 'one'), []);
    const two = await finetune(join(work, 'two'), ['--nproc', '2']);
    expect(one.code, one.err).toBe(0);
    expect(two.code, two.err).toBe(0);
    expect([one.s?.processes, two.s?.processes]).toEqual([1, 2]);
    expect(two.s?.steps).toBe(3);
    // Rounded to 4 decimals in the summary; the runs differ only in float summation order.
    expect(two.s?.loss.first).toBeCloseTo(one.s!.loss.first, 3);
    expect(two.s?.loss.last).toBeCloseTo(one.s!.loss.last, 3);
    expect(two.s?.dice.meanAfter).toBeCloseTo(one.s!.dice.meanAfter, 2);
    // One JSON line per event (rank 0 only): one progress line per step.
    expect(two.err.split('\n').filter((l) => /^hsam finetune: step \d\/3,/.test(l))).toHaveLength(3);
    // No partial folder of either rank left beside the models.
    expect(readdirSync(work).sort()).toEqual(['one', 'set', 'two']);
  }, 300_000);

  it('a global batch the processes cannot share equally: exit 1, a sentence, nothing at --out', async () => {
    const r = await finetune(join(work, 'odd'), ['--nproc', '2', '--batch-size', '3']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('hsam: Fine-tuning cannot run: --batch-size 3 is not a multiple of the 2 processes; use a multiple of 2 so every process takes an equal part.');
    expect(readdirSync(work)).not.toContain('odd');
  }, 120_000);

  it('--nproc 0 is a usage error', async () => {
    const r = await runHsam(['finetune', '--set', SET, '--out', join(work, 'z'), '--nproc', '0']);
    expect([r.code, r.err]).toEqual([1, 'hsam: --nproc must be a positive number.\n']);
  });
});
