/**
 * Fine-tuning the shipped demo model for real (Debian's Python, torch on the CPU, a few steps on
 * a six-slice set of the example CT), then registering, switching to and rolling back from the
 * result; cancelling while training and while the new folder is written; and the failures a
 * user can meet (a set with other classes, no Python, an occupied output folder).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../../../common/contract/model-card.js';
import { writeTrainingSet } from '../../../test-support/finetune-set.js';
import { REPO_ROOT } from '../../../test-support/paths.js';
import { PYTHON } from '../../../test-support/python.js';
import { partialDir, startFinetune, type FinetuneJobOptions, type FinetuneProgress } from './finetune-job.js';
import { BUNDLED_ID, ModelRegistry, RegistryFile } from './model-registry.js';
import { checkPython, type PythonCheck } from './python-env.js';
import { failureOf } from '../../../test-support/errors.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const SCRIPT = join(REPO_ROOT, 'native-models', 'hsam.py');
const demoCard = ModelCard.parse(JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8')));
const CLASSES = demoCard.classes.slice(1).map((c) => c.name);

const work = mkdtempSync(join(tmpdir(), 'hsam-finetune-job-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const SET = join(work, 'set');
let SET_ID = '';
let python: PythonCheck;

beforeAll(async () => {
  SET_ID = writeTrainingSet(SET, { train: [8, 10, 12, 16], val: [14, 18] });
  python = await checkPython(PYTHON);
});

const base = (out: string, extra: Partial<FinetuneJobOptions> = {}): FinetuneJobOptions => ({
  python: PYTHON,
  pythonCheck: python,
  script: SCRIPT,
  setDir: SET,
  modelDir: DEMO,
  outDir: out,
  batchSize: 2,
  device: 'cpu',
  ...extra,
});


const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Everything in `dir` whose name mentions `out` (the folder itself or a partial one). */
const leftovers = (dir: string, out: string): string[] => readdirSync(dir).filter((n) => n.includes(out));

describe('fine-tuning job', () => {
  it('4 steps of the demo: progress in order, held-out Dice before and after, a valid model; register, switch, roll back', async () => {
    const out = join(work, 'ft-demo');
    const progress: FinetuneProgress[] = [];
    const logs: string[] = [];
    const job = startFinetune(base(out, { steps: 4, onProgress: (p) => progress.push(p), onLog: (l) => logs.push(l) }));
    const r = await job.result;

    // Phases in order (consecutive repeats collapsed), steps 1..4 once each, time moving forward.
    const phases = progress.map((p) => p.phase).filter((p, i, a) => p !== a[i - 1]);
    expect(phases).toEqual(['checking', 'evaluating', 'training', 'evaluating', 'registering']);
    expect(progress.filter((p) => p.phase === 'training').map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(progress.every((p) => p.steps === 4 && p.etaMs >= 0 && Number.isFinite(p.etaMs))).toBe(true);
    progress.slice(1).forEach((p, i) => expect(p.elapsedMs).toBeGreaterThanOrEqual(progress[i]?.elapsedMs ?? 0));
    const training = progress.filter((p) => p.phase === 'training');
    expect(training.every((p) => typeof p.loss === 'number' && p.loss > 0)).toBe(true);
    expect(training[0]?.etaMs).toBeGreaterThan(0);

    // The result: the demo (before) and the new model (after) on the same two held-out slices.
    expect(r.outDir).toBe(out);
    expect(r.valSlices).toEqual(['ct_sm_z014.npz', 'ct_sm_z018.npz']);
    expect(r.trainingSet).toEqual({ id: SET_ID, trainSlices: 4, valSlices: 2 });
    expect(r.env).toMatchObject({ device: 'cpu', cuda: false, torch: python.torch });
    for (const d of [r.before, r.after]) {
      expect(d).not.toBeNull();
      expect(Object.keys(d?.perClass ?? {}).every((c) => CLASSES.includes(c))).toBe(true);
      expect(d?.mean).toBeGreaterThanOrEqual(0);
      expect(d?.mean).toBeLessThanOrEqual(1);
    }
    expect(r.before?.perClass['liver']).toBeGreaterThan(0.5); // the demo segments the liver on its own CT
    expect(r.comparison.map((c) => c.className)).toEqual(CLASSES);
    expect(r.comparison.find((c) => c.className === 'liver')).toEqual({ className: 'liver', before: r.before?.perClass['liver'], after: r.after?.perClass['liver'] });
    expect(r.card.quality).toMatchObject({ perClass: r.after?.perClass, mean: r.after?.mean });
    expect(r.card.provenance).toMatchObject({
      parent: { name: demoCard.name, version: demoCard.version },
      baseline: { perClass: r.before?.perClass, mean: r.before?.mean, model: { name: demoCard.name, version: demoCard.version } },
      trainingSet: { id: SET_ID },
      steps: 4,
    });
    expect(r.card.version.startsWith(`${demoCard.version}+ft.`)).toBe(true);
    expect(r.seconds).toBeGreaterThan(r.trainSeconds);
    expect(logs.some((l) => l.startsWith('Traceback'))).toBe(false);
    expect(leftovers(work, 'ft-demo')).toEqual(['ft-demo']);
    expect(job.pid !== undefined && alive(job.pid)).toBe(false);
    console.info(`fine-tune of the demo, 4 steps of batch 2: ${r.seconds} s in all, ${r.trainSeconds} s training`);

    // Register: the folder moves into the registry, the bundled demo stays active until the user switches.
    const reg = new ModelRegistry({ root: join(work, 'registry'), bundledDir: DEMO });
    expect((await reg.list()).map((v) => [v.id, v.active])).toEqual([[BUNDLED_ID, true]]);
    const v = await reg.register(out, { trainingSetDir: SET });
    expect((await reg.newWorkDir()).startsWith(join(work, 'registry', 'work', 'finetune-'))).toBe(true);
    expect((await failureOf(reg.register(v.dir))).message).toBe(`${v.dir} is already a registered version.`);
    expect(existsSync(out)).toBe(false);
    expect(v).toMatchObject({
      name: demoCard.name,
      version: r.card.version,
      parent: { name: demoCard.name, version: demoCard.version },
      parentId: BUNDLED_ID,
      trainingSet: { id: SET_ID, dir: SET, slices: 6 },
      quality: r.after,
      baseline: r.before,
      steps: 4,
      active: false,
      available: true,
      bundled: false,
    });
    expect(v.dir).toBe(join(work, 'registry', 'versions', v.id));
    expect(ModelCard.parse(JSON.parse(readFileSync(join(v.dir, 'model.json'), 'utf8'))).version).toBe(r.card.version);

    // Switch, then roll back to the parent; a second registry object reads the same file.
    expect((await reg.activate(v.id)).active).toBe(true);
    const again = new ModelRegistry({ root: join(work, 'registry'), bundledDir: DEMO });
    expect((await again.active()).id).toBe(v.id);
    const onDisk = RegistryFile.parse(JSON.parse(readFileSync(join(work, 'registry', 'registry.json'), 'utf8')));
    expect(onDisk).toMatchObject({ format: 'hsam-model-registry/1', active: v.id, versions: [{ id: v.id, dir: `versions/${v.id}` }] });
    expect((await again.rollback()).id).toBe(BUNDLED_ID);
    expect((await reg.active()).id).toBe(BUNDLED_ID);
    expect((await failureOf(reg.rollback())).message).toBe('The bundled model is in use; there is no earlier version to roll back to.');
    expect((await reg.state()).versions.map((x) => [x.id, x.active, x.baseline?.mean ?? null])).toEqual([
      [BUNDLED_ID, true, null],
      [v.id, false, r.before?.mean],
    ]);
  }, 300_000);

  it('cancel while training: rejected as cancelled, the trainer is gone, nothing at out or beside it', async () => {
    const out = join(work, 'ft-cancel');
    const cancel: { pending?: Promise<void> } = {};
    const logs: string[] = [];
    const job = startFinetune(
      base(out, {
        steps: 500,
        onLog: (l) => logs.push(l),
        onProgress: (p) => {
          if (p.phase === 'training') cancel.pending ??= job.cancel();
        },
      }),
    );
    const e = await failureOf(job.result);
    expect([e.code, e.message]).toEqual(['cancelled', 'Fine-tuning was cancelled; no model was written.']);
    await cancel.pending;
    // The trainer handled SIGTERM itself (removing its partial folder), it was not killed.
    expect(logs).toContain('hsam.py finetune: cancelled; no model was written');
    expect(job.pid).toBeDefined();
    expect(alive(job.pid ?? 0)).toBe(false);
    expect(leftovers(work, 'ft-cancel')).toEqual([]);
  }, 300_000);

  it('cancel while the new model folder is being written: no folder is left, not even a partial one', async () => {
    const out = join(work, 'ft-cancel-export');
    const cancel: { pending?: Promise<void> } = {};
    const logs: string[] = [];
    const job = startFinetune(
      base(out, {
        steps: 1,
        onLog: (l) => logs.push(l),
        onProgress: (p) => {
          if (p.phase === 'registering') cancel.pending ??= job.cancel();
        },
      }),
    );
    expect((await failureOf(job.result)).code).toBe('cancelled');
    await cancel.pending;
    // The trainer handled SIGTERM itself (removing its partial folder), it was not killed.
    expect(logs).toContain('hsam.py finetune: cancelled; no model was written');
    expect(alive(job.pid ?? 0)).toBe(false);
    expect(leftovers(work, 'ft-cancel-export')).toEqual([]);
  }, 300_000);

  it('a trainer killed (no grace) halfway through writing: this module removes its partial folder', async () => {
    const out = join(work, 'ft-killed');
    const seen: { partial?: string } = {};
    const job = startFinetune(base(out, { steps: 1, killGraceMs: 0 }));
    // Wait until the trainer has started writing its partial folder, then kill it.
    await expect
      .poll(() => {
        const p = job.pid === undefined ? null : partialDir(out, job.pid);
        if (p && existsSync(p) && readdirSync(p).length > 0) seen.partial = p;
        return seen.partial;
      }, { timeout: 120_000, interval: 20 })
      .toBeDefined();
    await job.cancel();
    expect((await failureOf(job.result)).code).toBe('cancelled');
    expect(existsSync(seen.partial ?? '')).toBe(false);
    expect(leftovers(work, 'ft-killed')).toEqual([]);
  }, 300_000);

  it("a set whose classes differ from the model's fails with the trainer's message", async () => {
    const other = join(work, 'set-liver');
    writeTrainingSet(other, { train: [10], val: [], classNames: ['liver'] });
    const job = startFinetune(base(join(work, 'ft-other'), { setDir: other, steps: 1 }));
    const e = await failureOf(job.result);
    expect(e.code).toBe('invalid-argument');
    expect(e.message).toMatch(/^Fine-tuning cannot run: training-set classes \['background', 'liver'\] differ from the model's \['background', 'spleen', /);
    expect(e.message).not.toContain('Traceback');
    expect(leftovers(work, 'ft-other')).toEqual([]);
  }, 120_000);

  it('a folder that is not a training set, and a model without its checkpoint', async () => {
    const notSet = await failureOf(startFinetune(base(join(work, 'ft-x'), { setDir: work })).result);
    expect(notSet.message).toBe(`Fine-tuning cannot run: ${work} is not a training set: it has no manifest.json.`);
    const onnxOnly = join(work, 'onnx-only');
    mkdirSync(onnxOnly);
    writeFileSync(join(onnxOnly, 'model.json'), JSON.stringify(demoCard));
    const noCheckpoint = await failureOf(startFinetune(base(join(work, 'ft-y'), { modelDir: onnxOnly })).result);
    expect(noCheckpoint.message).toMatch(/has no model\.pt; only models with their PyTorch checkpoint can be fine-tuned/);
  }, 120_000);

  it('refused before any trainer starts: no Python at the path, an occupied output folder, bad numbers', async () => {
    const noPython = await failureOf(startFinetune(base(join(work, 'ft-z'), { python: '/nonexistent/python3' })).result);
    expect([noPython.code, noPython.message]).toEqual(['not-found', 'Python was not found at "/nonexistent/python3"; install Python 3 with PyTorch or choose another Python interpreter in the fine-tuning settings.']);
    const taken = join(work, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'keep.txt'), 'mine');
    const occupied = await failureOf(startFinetune(base(taken)).result);
    expect(occupied.message).toBe(`${taken} already exists and is not an empty folder; choose a new folder for the fine-tuned model.`);
    expect(readdirSync(taken)).toEqual(['keep.txt']);
    expect((await failureOf(startFinetune(base(join(work, 'ft-w'), { steps: 0 })).result)).message).toBe('Steps must be a whole number from 1 to 1000000, not 0.');
    expect((await failureOf(startFinetune(base(join(work, 'ft-v'), { script: join(work, 'nope.py') })).result)).code).toBe('not-found');
  });
});
