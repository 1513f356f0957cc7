/**
 * `hsam finetune` end to end (in-process, as test-support/cli.ts runs every command): a real
 * two-step fine-tune of the shipped demo with Debian's Python, the JSON summary with Dice
 * before and after per class, progress on stderr, registration in a registry folder; and the
 * failures a user meets, each a one-line message and an exit code.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../../common/contract/model-card.js';
import { runHsam } from '../../test-support/cli.js';
import { writeTrainingSet } from '../../test-support/finetune-set.js';
import { REPO_ROOT } from '../../test-support/paths.js';
import { PYTHON } from '../../test-support/python.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const demoCard = ModelCard.parse(JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8')));
const CLASSES = demoCard.classes.slice(1).map((c) => c.name);
const work = mkdtempSync(join(tmpdir(), 'hsam-finetune-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const SET = join(work, 'set');

beforeAll(() => {
  writeTrainingSet(SET, { train: [9, 11, 13], val: [15], id: 'cli-set' });
});

describe('hsam finetune', () => {
  it('fine-tunes the demo: JSON summary with Dice before and after, progress on stderr, registered', async () => {
    const out = join(work, 'new-model');
    const registry = join(work, 'registry');
    const r = await runHsam(['finetune', '--set', SET, '--model', DEMO, '--out', out, '--steps', '2', '--batch-size', '2', '--python', PYTHON, '--device', 'cpu', '--registry', registry]);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out) as {
      out: string;
      model: { name: string; version: string };
      parent: unknown;
      trainingSet: unknown;
      steps: number;
      device: string;
      seconds: number;
      secondsPerStep: number;
      dice: { heldOut: string[]; meanBefore: number; meanAfter: number; perClass: Record<string, { before: number | null; after: number | null }> };
      registered: { id: string; parentId: string; active: boolean };
    };
    expect(s).toMatchObject({ out, parent: { name: demoCard.name, version: demoCard.version }, trainingSet: { id: 'cli-set', trainSlices: 3, valSlices: 1 }, steps: 2, device: 'cpu' });
    expect(s.dice.heldOut).toEqual(['ct_sm_z015.npz']);
    expect(Object.keys(s.dice.perClass)).toEqual(CLASSES);
    expect(s.dice.perClass['liver']?.before).toBeGreaterThan(0.5);
    expect(typeof s.dice.perClass['liver']?.after).toBe('number');
    expect(s.dice.meanBefore).toBeGreaterThan(0);
    expect(s.seconds).toBeGreaterThan(0);
    console.info(`hsam finetune, 2 steps of batch 2: ${s.seconds} s in all, ${s.secondsPerStep} s per step`);

    // The card on disk says the same.
    const card = ModelCard.parse(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')));
    expect(card.quality?.mean).toBe(s.dice.meanAfter);
    expect(card.version).toBe(s.model.version);

    // Progress: one line per step, phases named, nothing else on stderr.
    const lines = r.err.trim().split('\n');
    expect(lines.every((l) => l.startsWith('hsam finetune: '))).toBe(true);
    expect(lines[0]).toBe('hsam finetune: checking Python and loading the model and the training set');
    expect(lines).toContain('hsam finetune: evaluating the base model on the held-out slices');
    expect(lines.filter((l) => /^hsam finetune: step \d\/2, loss \d\.\d{4}/.test(l))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^hsam finetune: writing the new model/);

    // Registered as a copy (the --out folder stays), not active; the demo is its parent.
    expect(s.registered).toMatchObject({ parentId: 'bundled', active: false });
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    expect(readdirSync(join(registry, 'versions'))).toEqual([s.registered.id]);
  }, 300_000);

  it("a set with other classes: exit 1 and the trainer's message, nothing at --out", async () => {
    const other = join(work, 'set-two-classes');
    writeTrainingSet(other, { train: [10], val: [], classNames: ['liver'] });
    const out = join(work, 'never');
    const r = await runHsam(['finetune', '--set', other, '--model', DEMO, '--out', out, '--steps', '1', '--python', PYTHON]);
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err).toMatch(/^hsam finetune: checking Python/);
    expect(r.err).toContain("hsam: Fine-tuning cannot run: training-set classes ['background', 'liver'] differ from the model's");
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('no Python at --python: exit 1, the message names the path and the option', async () => {
    const r = await runHsam(['finetune', '--set', SET, '--out', join(work, 'x'), '--python', '/nonexistent/python3']);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n').at(-1)).toBe('hsam: Python was not found at "/nonexistent/python3"; install Python 3 with PyTorch or pass --python PATH (or set HSAM_PYTHON).');
  });

  it('usage errors: a missing --set is exit 2, a bad number or device exit 1', async () => {
    expect((await runHsam(['finetune', '--out', join(work, 'y')])).code).toBe(2);
    const steps = await runHsam(['finetune', '--set', SET, '--out', join(work, 'y'), '--steps', 'many']);
    expect([steps.code, steps.err]).toEqual([1, 'hsam: --steps must be a positive number.\n']);
    const device = await runHsam(['finetune', '--set', SET, '--out', join(work, 'y'), '--device', 'tpu']);
    expect([device.code, device.err]).toEqual([1, 'hsam: --device must be auto, cpu or cuda, not "tpu".\n']);
  });
});
