/**
 * "Fine-tune on my corrections" for the workstation: the loaded model, trained on its training
 * set (the slices the user exported) by the native-models trainer in a child process, with the
 * Python the user configured; the result is registered as a new model version beside its parent
 * (not activated: the user compares held-out Dice before and after, then switches or stays).
 *
 * Invariants: one run at a time; a cancelled or failed run registers nothing and leaves no model
 * folder behind; the interpreter is checked before every run (it may have changed on disk).
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventPayload } from '../../../common/contract/api.js';
import type { FinetuneResult, PythonCheck } from '../../../common/contract/learning.js';
import type { ModelCard } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { readSet } from '../export/training-set.js';
import { readSettings, writeSettings } from '../storage/settings.js';
import { startFinetune, type FinetuneJob } from './finetune-job.js';
import { ModelRegistry, toModelVersion } from './model-registry.js';
import { checkPython, defaultPython } from './python-env.js';

export interface FineTuningOptions {
  /** The app's data folder: training-sets/, models/ (the registry), finetune-runs/, settings.json. */
  readonly dataDir: string;
  /** The bundled demo model: the registry's root version. */
  readonly bundledDir: string | null;
  /** native-models/hsam.py as shipped. */
  readonly trainerScript: string;
  readonly emit: (p: EventPayload<'finetuneProgress'>) => void;
  readonly log?: (line: string) => void;
  /** torch threads for the trainer; default 1 (it shares the cores with the app). */
  readonly threads?: number;
}

const HOW = 'choose another interpreter with “Choose Python…”';

/** The training set of a model family: one per model name, accumulating across studies and versions. */
export const trainingSetDir = (dataDir: string, card: Pick<ModelCard, 'name'>): string => join(dataDir, 'training-sets', card.name.replace(/[^\w.-]+/g, '_'));

export class FineTuning {
  readonly registry: ModelRegistry;
  #job: FinetuneJob | null = null;
  #busy = false;
  #cancelled = false;

  constructor(private readonly opts: FineTuningOptions) {
    this.registry = new ModelRegistry({ root: join(opts.dataDir, 'models'), bundledDir: opts.bundledDir });
  }

  get #settingsPath(): string {
    return join(this.opts.dataDir, 'settings.json');
  }

  async python(): Promise<string> {
    return (await readSettings(this.#settingsPath)).python ?? defaultPython();
  }

  async checkPython(): Promise<PythonCheck> {
    const c = await checkPython(await this.python(), { howToConfigure: HOW });
    return { python: c.python, ok: c.ok, version: c.version, torch: c.torch, cuda: c.cuda, message: c.message };
  }

  /** Remember the interpreter the user chose (even one that fails the check: they may fix it). */
  async setPython(python: string): Promise<PythonCheck> {
    await mkdir(this.opts.dataDir, { recursive: true });
    await writeSettings(this.#settingsPath, { ...(await readSettings(this.#settingsPath)), python });
    return this.checkPython();
  }

  /** Fine-tune `modelDir` (the loaded model, described by `card`) on its family's training set. */
  async run(modelDir: string, card: ModelCard, steps: number | undefined): Promise<FinetuneResult> {
    if (this.#busy) throw new UserFacingError('invalid-argument', 'A fine-tuning run is in progress; wait for it or cancel it.');
    this.#busy = true;
    try {
      return await this.#run(modelDir, card, steps);
    } finally {
      this.#busy = false;
    }
  }

  async #run(modelDir: string, card: ModelCard, steps: number | undefined): Promise<FinetuneResult> {
    const setDir = trainingSetDir(this.opts.dataDir, card);
    const set = await readSet(setDir);
    if (!set || set.manifest.slices.length === 0) {
      throw new UserFacingError('not-found', `Model ${card.name} has no training slices yet: correct or review slices, then “Add corrected slices to training set”.`);
    }
    const runId = `${Date.now()}-${randomBytes(3).toString('hex')}`;
    const outDir = join(this.opts.dataDir, 'finetune-runs', runId);
    // Train on a snapshot: exports may add to the set while the trainer reads it, and the new
    // version keeps exactly the slices it was trained on.
    const snapshot = join(this.opts.dataDir, 'finetune-runs', `${runId}.set`);
    await mkdir(join(this.opts.dataDir, 'finetune-runs'), { recursive: true });
    await cp(setDir, snapshot, { recursive: true });
    this.#cancelled = false;
    const job = startFinetune({
      python: await this.python(),
      script: this.opts.trainerScript,
      setDir: snapshot,
      modelDir,
      outDir,
      ...(steps === undefined ? {} : { steps }),
      threads: this.opts.threads ?? 1,
      howToConfigure: HOW,
      onProgress: this.opts.emit,
      ...(this.opts.log ? { onLog: this.opts.log } : {}),
    });
    this.#job = job;
    try {
      const run = await job.result;
      if (this.#cancelled) throw new UserFacingError('cancelled', 'Fine-tuning was cancelled; no new version was made.');
      this.opts.emit({ phase: 'registering', step: run.steps, steps: run.steps, loss: run.lastLoss, elapsedMs: run.seconds * 1000, etaMs: 0 });
      await rename(snapshot, join(run.outDir, 'training-set'));
      const version = await this.registry.register(run.outDir, { mode: 'move', trainingSetDir: setDir });
      const held = new Set(set.val);
      const heldRows = set.manifest.slices.filter((r) => held.has(r.file));
      return {
        version: toModelVersion(version),
        steps: run.steps,
        seconds: run.seconds,
        device: run.env.device,
        heldOut: { slices: heldRows.length, reviewedOnly: heldRows.filter((r) => r.correctedClasses.length === 0).length },
      };
    } finally {
      this.#job = null;
      // Whatever was not registered (a cancel after the last step, a failed registration) goes.
      await rm(snapshot, { recursive: true, force: true });
      await rm(outDir, { recursive: true, force: true });
    }
  }

  cancel(): boolean {
    if (!this.#job) return false;
    this.#cancelled = true;
    void this.#job.cancel();
    return true;
  }

  async dispose(): Promise<void> {
    if (this.#job) await this.#job.cancel();
  }
}
