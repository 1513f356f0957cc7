/**
 * One fine-tuning run: the native-models trainer (`hsam.py finetune`) as a child process of the
 * Python the user configured.
 *
 * Pipeline: check the interpreter (found, torch and numpy import, CUDA or not) → spawn
 * `python hsam.py [--threads N] finetune --set S --model M --out O …` (never through a shell; with
 * `nproc` > 1 through `python -m torch.distributed.run`, see torchrun.ts) →
 * read its JSON lines from stdout (env, start, phase, progress per step, eval with the base
 * and the new model's held-out Dice, done | error | cancelled), turning them into progress
 * reports with an ETA → load and validate the new model folder (zod card, file sizes) → resolve.
 *
 * Invariants: `outDir` must not exist or be an empty folder, so whatever appears there belongs
 * to this run; a run that fails or is cancelled leaves nothing at `outDir` (the trainer writes
 * into `.<out>.partial-<pid>` beside it and renames at the end; after a kill this module removes
 * that folder). `cancel()` sends SIGTERM (the trainer removes its partial folder and exits 143),
 * then SIGKILL after a grace period. Nothing here throws past `result`: every failure is a
 * rejected `result` with a `UserFacingError` whose message includes the trainer's last stderr
 * lines, and a rejected `result` nobody awaits does not crash the process.
 *
 * Rejected before any child starts: an `outDir` that holds files, a missing trainer script,
 * steps / batch size / threads that are not positive whole numbers, a Python that fails the check.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { EventPayload } from '../../../common/contract/api.js';
import type { DiceReport } from '../../../common/contract/learning.js';
import type { ModelCard } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { loadModelFolder } from '../inference/model-folder.js';
import { checkPython, requirePython, type PythonCheck } from './python-env.js';
import { launcherArgs } from './torchrun.js';

/**
 * What the progress bar shows. Phases: `checking` (the interpreter, then the trainer loading
 * torch, the set and the model), `evaluating` at step 0 (the base model on the held-out slices)
 * and at step = steps (the new model), `training` after each step, `registering` (writing the
 * new model folder). `etaMs` is 0 while nothing has been measured (before the first step); from
 * then on it is the remaining steps at the measured rate, plus the new model's evaluation (as long
 * as the base model's took) and writing it (guessed as twice the trainer's start-up time).
 */
export type FinetuneProgress = EventPayload<'finetuneProgress'>;

export interface FinetuneJobOptions {
  /** The interpreter to run, as configured (a path, or a name looked up on PATH). */
  readonly python: string;
  /** native-models/hsam.py; the caller knows where the app's resources are. */
  readonly script: string;
  readonly setDir: string;
  readonly modelDir: string;
  /** The new model folder; must not exist or be empty. */
  readonly outDir: string;
  readonly steps?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly seed?: number;
  readonly device?: 'auto' | 'cpu' | 'cuda';
  /** torch CPU threads (the trainer's default is 1: the app and the trainer share the cores). */
  readonly threads?: number;
  /** Data-parallel processes on this machine, started by torch.distributed.run (default 1). */
  readonly nproc?: number;
  /** Version string of the new model (default: the trainer's `<base>+ft.<time>`). */
  readonly version?: string;
  readonly onProgress?: (p: FinetuneProgress) => void;
  /** The trainer's stderr and any non-JSON stdout, line by line. */
  readonly onLog?: (line: string) => void;
  /** Between SIGTERM and SIGKILL on cancel. */
  readonly killGraceMs?: number;
  /** A check that already passed for this interpreter, to skip checking again. */
  readonly pythonCheck?: PythonCheck;
  /** How the user sets the interpreter, for failure messages (the CLI says --python). */
  readonly howToConfigure?: string;
}

/** The interpreter, torch and device the trainer reported. */
export interface TrainerEnv {
  readonly python: string;
  readonly executable: string;
  readonly torch: string;
  readonly cuda: boolean;
  readonly device: string;
  readonly threads: number;
}

/** One class's held-out Dice, base model and new model side by side (null: nothing to measure). */
export interface DiceRow {
  readonly className: string;
  readonly before: number | null;
  readonly after: number | null;
}

export interface FinetuneRun {
  readonly outDir: string;
  /** The new model's card, validated. */
  readonly card: ModelCard;
  /** The base model on the held-out slices… */
  readonly before: DiceReport | null;
  /** …and the new one on the same slices (null when the set has no held-out slices). */
  readonly after: DiceReport | null;
  readonly valSlices: readonly string[];
  /** Every foreground class of the model, in class order. */
  readonly comparison: readonly DiceRow[];
  readonly trainingSet: { readonly id: string; readonly trainSlices: number; readonly valSlices: number };
  readonly steps: number;
  /** Data-parallel processes the trainer ran (1 unless started with nproc). */
  readonly processes: number;
  readonly env: TrainerEnv;
  /** Wall clock of the whole job, and of the training steps alone. */
  readonly seconds: number;
  readonly trainSeconds: number;
  readonly firstLoss: number;
  readonly lastLoss: number;
}

export interface FinetuneJob {
  /** Resolves with the new model folder; rejects with a `UserFacingError` (code `cancelled` after `cancel()`). */
  readonly result: Promise<FinetuneRun>;
  /** Stop the run; resolves once the trainer has exited and its partial output is gone. */
  cancel(): Promise<void>;
  /** The trainer's process id while it runs. */
  readonly pid: number | undefined;
}

const Dice = z.object({ perClass: z.record(z.string(), z.number()), mean: z.number() });

/** The trainer's JSON lines; anything else on stdout is a log line. */
const TrainerEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('env'), python: z.string(), executable: z.string(), torch: z.string(), cuda: z.boolean(), device: z.string(), threads: z.number() }),
  z.object({ event: z.literal('start'), processes: z.number().optional(), steps: z.number(), trainSlices: z.number(), valSlices: z.number(), device: z.string(), trainingSet: z.string() }),
  z.object({ event: z.literal('phase'), phase: z.string() }),
  z.object({ event: z.literal('progress'), step: z.number(), steps: z.number(), loss: z.number(), eta_s: z.number(), elapsed_s: z.number().optional() }),
  z.object({ event: z.literal('eval'), before: Dice.nullable().optional(), after: Dice.nullable().optional(), valSlices: z.array(z.string()).optional() }),
  z.object({ event: z.literal('done'), out: z.string(), firstLoss: z.number(), lastLoss: z.number(), seconds: z.number().optional() }),
  z.object({ event: z.literal('error'), kind: z.string().optional(), message: z.string() }),
  z.object({ event: z.literal('cancelled') }),
]);
type TrainerEvent = z.infer<typeof TrainerEvent>;
type EventOf<E extends TrainerEvent['event']> = Extract<TrainerEvent, { event: E }>;

/** Where the trainer writes before its final rename (native-models/hsam/commands/finetune.py `partial_dir`). */
export const partialDir = (outDir: string, pid: number): string => join(dirname(resolve(outDir)), `.${basename(outDir)}.partial-${pid}`);

const STDERR_LINES = 40;
const SHOWN_STDERR_LINES = 8;

function positiveInt(name: string, v: number | undefined, max: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= max)) {
    throw new UserFacingError('invalid-argument', `${name} must be a whole number from 1 to ${max}, not ${String(v)}.`);
  }
}

/** Per-class rows for the model's classes (background excluded), in class order. */
export function compareDice(card: ModelCard, before: DiceReport | null, after: DiceReport | null): DiceRow[] {
  return card.classes.slice(1).map((c) => ({ className: c.name, before: before?.perClass[c.name] ?? null, after: after?.perClass[c.name] ?? null }));
}

export function startFinetune(opts: FinetuneJobOptions): FinetuneJob {
  return new Job(opts);
}

class Job implements FinetuneJob {
  readonly result: Promise<FinetuneRun>;
  private child: ChildProcess | null = null;
  private closed: Promise<void> = Promise.resolve();
  private cancelRequested = false;
  private readonly abort = new AbortController();
  private readonly t0 = performance.now();
  private readonly stderr: string[] = [];
  // What the trainer said so far.
  private env: TrainerEnv | null = null;
  private start: EventOf<'start'> | null = null;
  private evalEvent: EventOf<'eval'> | null = null;
  private done: EventOf<'done'> | null = null;
  private error: EventOf<'error'> | null = null;
  // Timing for the ETA: trainer start-up (scales the export estimate), base-model evaluation (≈ the new one's).
  private spawnedAt = 0;
  private startupMs = 0;
  private phaseAt = 0;
  private baselineMs = 0;
  private trainMs = 0;
  private lastLoss: number | null = null;
  private step = 0;

  constructor(private readonly opts: FinetuneJobOptions) {
    this.result = this.run();
    // A caller that drops the promise must not take the process down with an unhandled rejection.
    this.result.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async cancel(): Promise<void> {
    this.cancelRequested = true;
    this.abort.abort();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.killGraceMs ?? 5000);
      await this.closed;
      clearTimeout(timer);
    }
    await this.result.catch(() => undefined);
  }

  private get steps(): number {
    return this.start?.steps ?? this.opts.steps ?? 200;
  }

  private report(phase: FinetuneProgress['phase'], etaMs: number): void {
    const p: FinetuneProgress = { phase, step: this.step, steps: this.steps, loss: this.lastLoss, elapsedMs: Math.round(performance.now() - this.t0), etaMs: Math.max(0, Math.round(etaMs)) };
    try {
      this.opts.onProgress?.(p);
    } catch (e) {
      this.log(`progress listener failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private log(line: string): void {
    try {
      this.opts.onLog?.(line);
    } catch {
      // A failing log sink must not stop the run.
    }
  }

  private async run(): Promise<FinetuneRun> {
    const o = this.opts;
    positiveInt('Steps', o.steps, 1_000_000);
    positiveInt('Batch size', o.batchSize, 1024);
    positiveInt('Threads', o.threads, 1024);
    positiveInt('Processes', o.nproc, 256);
    const out = resolve(o.outDir);
    const outStat = statSync(out, { throwIfNoEntry: false });
    if (outStat && (!outStat.isDirectory() || readdirSync(out).length > 0)) {
      throw new UserFacingError('invalid-argument', `${out} already exists and is not an empty folder; choose a new folder for the fine-tuned model.`);
    }
    const outExisted = outStat !== undefined;
    if (!existsSync(o.script)) throw new UserFacingError('not-found', `The trainer script ${o.script} is missing; the installation is incomplete.`);

    this.report('checking', 0);
    const how = o.howToConfigure ? { howToConfigure: o.howToConfigure } : {};
    const check = o.pythonCheck?.ok && o.pythonCheck.python === o.python ? o.pythonCheck : await checkPython(o.python, { ...how, signal: this.abort.signal });
    if (this.cancelRequested) throw cancelledError();
    requirePython(check);

    const code = await this.spawnTrainer(out);
    try {
      if (this.cancelRequested) throw cancelledError();
      if (code.code === 0 && this.done) return await this.finish(out, this.done);
      throw this.failure(code);
    } catch (e) {
      await this.cleanUp(out, outExisted).catch((c: unknown) => this.log(`could not remove the partial output: ${String(c)}`));
      throw e;
    }
  }

  /** Remove what a failed or cancelled run left: the trainer's partial folder, and `out` itself. */
  private async cleanUp(out: string, outExisted: boolean): Promise<void> {
    const pid = this.child?.pid;
    if (pid !== undefined) await rm(partialDir(out, pid), { recursive: true, force: true });
    // Whatever the trainer left at out is not a model anyone will register.
    await rm(out, { recursive: true, force: true });
    if (outExisted) await mkdir(out, { recursive: true });
  }

  /** Runs the trainer to its end; resolves with its exit code or signal, never rejects. */
  private spawnTrainer(out: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }> {
    const o = this.opts;
    const args = [...launcherArgs(o.nproc), resolve(o.script)];
    if (o.threads !== undefined) args.push('--threads', String(o.threads));
    args.push('finetune', '--set', resolve(o.setDir), '--model', resolve(o.modelDir), '--out', out);
    if (o.steps !== undefined) args.push('--steps', String(o.steps));
    if (o.batchSize !== undefined) args.push('--batch-size', String(o.batchSize));
    if (o.lr !== undefined) args.push('--lr', String(o.lr));
    if (o.seed !== undefined) args.push('--seed', String(o.seed));
    if (o.device !== undefined) args.push('--device', o.device);
    if (o.version !== undefined) args.push('--version', o.version);

    return new Promise((resolveRun) => {
      this.spawnedAt = performance.now();
      const child = spawn(o.python, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
      });
      this.child = child;
      // If the app exits while training, the trainer goes with it.
      const killOnExit = (): void => void child.kill('SIGKILL');
      process.once('exit', killOnExit);
      let spawnError: Error | undefined;
      this.closed = new Promise((closed) => {
        child.once('close', (code, signal) => {
          process.removeListener('exit', killOnExit);
          closed();
          resolveRun({ code, signal, ...(spawnError ? { spawnError } : {}) });
        });
      });
      child.once('error', (e) => (spawnError = e));
      createInterface({ input: child.stdout }).on('line', (line) => this.onStdout(line));
      createInterface({ input: child.stderr }).on('line', (line) => {
        this.stderr.push(line);
        if (this.stderr.length > STDERR_LINES) this.stderr.shift();
        this.log(line);
      });
    });
  }

  private onStdout(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.log(line);
      return;
    }
    const ev = TrainerEvent.safeParse(parsed);
    if (!ev.success) {
      this.log(line); // an event this version does not know: keep it in the log, not an error
      return;
    }
    const e = ev.data;
    const now = performance.now();
    // Writing the new model (checkpoint + two ONNX traces) took about twice the trainer's start-up
    // for the demo (8.8 s vs 4 s); both grow with the model's size. A rough guess, said so in the docs.
    const exportEstimate = 2 * this.startupMs;
    switch (e.event) {
      case 'env':
        this.env = { python: e.python, executable: e.executable, torch: e.torch, cuda: e.cuda, device: e.device, threads: e.threads };
        break;
      case 'start':
        this.start = e;
        this.startupMs = now - this.spawnedAt;
        this.report('checking', 0);
        break;
      case 'phase':
        this.phaseAt = now;
        if (e.phase === 'baseline') this.report('evaluating', 0);
        else if (e.phase === 'evaluate') this.report('evaluating', this.baselineMs + exportEstimate);
        else if (e.phase === 'export') this.report('registering', exportEstimate);
        break;
      case 'progress': {
        if (this.step === 0 && this.phaseAt > 0) {
          // Time from the baseline phase to the first step's end, minus that step.
          this.baselineMs = Math.max(0, now - this.phaseAt - (e.elapsed_s ?? 0) * 1000);
        }
        this.step = e.step;
        this.lastLoss = e.loss;
        this.trainMs = (e.elapsed_s ?? 0) * 1000;
        this.report('training', e.eta_s * 1000 + this.baselineMs + exportEstimate);
        break;
      }
      case 'eval':
        this.evalEvent = e;
        break;
      case 'done':
        this.done = e;
        break;
      case 'error':
        this.error = e;
        break;
      case 'cancelled':
        break;
    }
  }

  private stderrTail(exclude: string): string {
    const lines = this.stderr.filter((l) => l.trim() !== '' && !l.includes(exclude.slice(0, 60))).slice(-SHOWN_STDERR_LINES);
    return lines.length ? `\nLast lines from the trainer:\n${lines.join('\n')}` : '';
  }

  private failure(r: { code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }): UserFacingError {
    if (r.spawnError) {
      return new UserFacingError('internal', `Could not start the trainer with "${this.opts.python}": ${r.spawnError.message}.`);
    }
    if (this.error?.kind === 'input') {
      return new UserFacingError('invalid-argument', `Fine-tuning cannot run: ${this.error.message}.${this.stderrTail(this.error.message)}`);
    }
    if (this.error) return new UserFacingError('internal', `The trainer failed: ${this.error.message}.${this.stderrTail(this.error.message)}`);
    const text = this.stderr.join('\n');
    const hint = /No module named '?(torch|numpy)/.test(text) ? ` PyTorch or numpy is missing for "${this.opts.python}".` : '';
    if (r.signal) return new UserFacingError('internal', `The trainer was stopped by ${r.signal} (out of memory?).${hint}${this.stderrTail('\u0000')}`);
    if (r.code === 0) return new UserFacingError('internal', `The trainer exited without reporting a model.${this.stderrTail('\u0000')}`);
    return new UserFacingError('internal', `The trainer failed (exit code ${String(r.code)}).${hint}${this.stderrTail('\u0000')}`);
  }

  private async finish(out: string, done: EventOf<'done'>): Promise<FinetuneRun> {
    const folder = await loadModelFolder(out);
    const card = folder.card;
    const prov = card.provenance;
    const baseline = Dice.safeParse(prov['baseline']);
    const before = this.evalEvent?.before ?? (baseline.success ? baseline.data : null);
    const after = this.evalEvent?.after ?? (card.quality ? { perClass: card.quality.perClass, mean: card.quality.mean } : null);
    const start = this.start;
    const env = this.env ?? { python: '?', executable: this.opts.python, torch: '?', cuda: false, device: start?.device ?? '?', threads: 0 };
    return {
      outDir: out,
      card,
      before,
      after,
      valSlices: this.evalEvent?.valSlices ?? [],
      comparison: compareDice(card, before, after),
      trainingSet: { id: start?.trainingSet ?? '', trainSlices: start?.trainSlices ?? 0, valSlices: start?.valSlices ?? 0 },
      steps: this.steps,
      processes: start?.processes ?? 1,
      env,
      seconds: Math.round(performance.now() - this.t0) / 1000,
      trainSeconds: done.seconds ?? Math.round(this.trainMs) / 1000,
      firstLoss: done.firstLoss,
      lastLoss: done.lastLoss,
    };
  }
}

const cancelledError = (): UserFacingError => new UserFacingError('cancelled', 'Fine-tuning was cancelled; no model was written.');
