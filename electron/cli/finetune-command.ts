/**
 * `hsam finetune`: "Fine-tune on my corrections", headless. Runs the same job as the app (the
 * native-models trainer as a child process of the chosen Python), prints progress lines on
 * stderr and a JSON summary on stdout: the base and the new model's held-out Dice per class,
 * the new folder, seconds. With --registry the new folder is also registered (copied) as a
 * model version.
 *
 * Rejected (exit 1, a message, nothing written at --out): a Python that is missing or lacks
 * torch, an --out that holds files, a set whose classes differ from the model's, numbers that
 * are not positive whole numbers. Ctrl+C cancels and removes the partial output.
 */
import type { Command } from 'commander';
import { UserFacingError } from '../../common/contract/result.js';
import { startFinetune, type FinetuneProgress, type FinetuneRun } from '../services/finetune/finetune-job.js';
import { ModelRegistry } from '../services/finetune/model-registry.js';
import { defaultPython } from '../services/finetune/python-env.js';
import { cliPaths } from '../services/app-paths.js';
import { defaultModelDir } from './segment-command.js';

export interface FinetuneCommandOptions {
  readonly set: string;
  readonly model: string;
  readonly out: string;
  readonly python: string;
  readonly steps?: number;
  readonly batchSize?: number;
  readonly threads?: number;
  /** Data-parallel processes (torch.distributed.run), default 1. */
  readonly nproc?: number;
  readonly lr?: number;
  readonly seed?: number;
  readonly device: 'auto' | 'cpu' | 'cuda';
  readonly version?: string;
  /** A registry folder to register the new model in (copied), and whether to make it active. */
  readonly registry?: string;
  readonly activate: boolean;
}

/** native-models/hsam.py; src (electron/cli) and dist (dist/cli) both sit two folders below the repository root. */
export const defaultTrainerScript = (): string => cliPaths(import.meta.url).trainerScript;

const HOW = 'pass --python PATH (or set HSAM_PYTHON)';

function progressLine(p: FinetuneProgress, last: FinetuneProgress | null): string | null {
  const eta = p.etaMs > 0 ? `, about ${Math.ceil(p.etaMs / 1000)} s left` : '';
  switch (p.phase) {
    case 'checking':
      return last?.phase === 'checking' ? null : 'checking Python and loading the model and the training set';
    case 'evaluating':
      if (last?.phase === 'evaluating') return null;
      return p.step === 0 ? 'evaluating the base model on the held-out slices' : `evaluating the new model on the held-out slices${eta}`;
    case 'training':
      return `step ${p.step}/${p.steps}, loss ${p.loss === null ? '?' : p.loss.toFixed(4)}${eta}`;
    case 'registering':
      return last?.phase === 'registering' ? null : `writing the new model${eta}`;
  }
}

const round = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : Math.round(v * 10_000) / 10_000);

/** The stdout summary. */
export function finetuneSummary(r: FinetuneRun): Record<string, unknown> {
  return {
    out: r.outDir,
    model: { name: r.card.name, version: r.card.version },
    parent: r.card.provenance['parent'] ?? null,
    trainingSet: r.trainingSet,
    steps: r.steps,
    processes: r.processes,
    device: r.env.device,
    python: { executable: r.env.executable, version: r.env.python, torch: r.env.torch, cuda: r.env.cuda, threads: r.env.threads },
    seconds: r.seconds,
    trainSeconds: r.trainSeconds,
    secondsPerStep: Math.round((r.trainSeconds / r.steps) * 1000) / 1000,
    loss: { first: round(r.firstLoss), last: round(r.lastLoss) },
    dice: {
      heldOut: r.valSlices,
      meanBefore: r.before?.mean ?? null,
      meanAfter: r.after?.mean ?? null,
      perClass: Object.fromEntries(r.comparison.map((c) => [c.className, { before: c.before, after: c.after }])),
    },
  };
}

export async function finetuneCommand(o: FinetuneCommandOptions, err: (s: string) => void): Promise<Record<string, unknown>> {
  let last: FinetuneProgress | null = null;
  const job = startFinetune({
    python: o.python,
    script: defaultTrainerScript(),
    setDir: o.set,
    modelDir: o.model,
    outDir: o.out,
    device: o.device,
    howToConfigure: HOW,
    ...(o.steps === undefined ? {} : { steps: o.steps }),
    ...(o.batchSize === undefined ? {} : { batchSize: o.batchSize }),
    ...(o.threads === undefined ? {} : { threads: o.threads }),
    ...(o.nproc === undefined ? {} : { nproc: o.nproc }),
    ...(o.lr === undefined ? {} : { lr: o.lr }),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(o.version === undefined ? {} : { version: o.version }),
    onProgress: (p) => {
      const line = progressLine(p, last);
      last = p;
      if (line) err(`hsam finetune: ${line}\n`);
    },
  });
  const onInterrupt = (): void => void job.cancel();
  process.once('SIGINT', onInterrupt);
  let run: FinetuneRun;
  try {
    run = await job.result;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  const summary = finetuneSummary(run);
  if (o.registry) {
    const registry = new ModelRegistry({ root: o.registry, bundledDir: defaultModelDir() });
    const v = await registry.register(run.outDir, { mode: 'copy', trainingSetDir: o.set, activate: o.activate });
    summary['registered'] = { registry: registry.root, id: v.id, parentId: v.parentId, active: v.active };
  }
  return summary;
}

/** The options as commander parses them (numbers may be NaN: checked in the action). */
interface RawOptions {
  readonly set: string;
  readonly model: string;
  readonly out: string;
  readonly python: string;
  readonly device: string;
  readonly activate: boolean;
  readonly steps?: number;
  readonly batchSize?: number;
  readonly threads?: number;
  readonly nproc?: number;
  readonly lr?: number;
  readonly seed?: number;
  readonly version?: string;
  readonly registry?: string;
}

/** `{ [key]: value }` when given and at least `min`, `{}` when not given. */
function number<K extends string>(key: K, flag: string, v: number | undefined, min: number): { [P in K]?: number } {
  if (v === undefined) return {};
  if (!Number.isFinite(v) || v < min) throw new UserFacingError('invalid-argument', `${flag} must be ${min === 0 ? 'a whole number' : 'a positive number'}.`);
  return { [key]: v } as { [P in K]?: number };
}

const int = (v: string): number => (/^\d+$/.test(v) ? Number.parseInt(v, 10) : Number.NaN);

/** Adds `finetune` to the `hsam` program. */
export function addFinetuneCommand(program: Command, out: (s: string) => void, err: (s: string) => void): void {
  program
    .command('finetune')
    .description("Fine-tune a model on a training set (the app's exported corrections) into a new model folder; prints Dice before and after as JSON")
    .requiredOption('--set <dir>', 'training-set folder (hsam-trainset/1: manifest.json, train.txt, val.txt, *.npz)')
    .option('--model <dir>', 'the model to start from (needs model.pt)', defaultModelDir())
    .requiredOption('--out <dir>', 'the new model folder (must not exist or be empty)')
    .option('--steps <n>', 'training steps (default 200)', int)
    .option('--batch-size <n>', 'slices per step (default 4)', int)
    .option('--python <path>', 'Python with PyTorch and numpy (default: $HSAM_PYTHON, else /usr/bin/python3 or python3)', defaultPython())
    .option('--device <device>', 'auto, cpu or cuda', 'auto')
    .option('--threads <n>', 'torch CPU threads (default 1; per process with --nproc)', int)
    .option('--nproc <k>', 'data-parallel processes on this machine, started with torchrun (python -m torch.distributed.run); --batch-size must be a multiple of k (default 1)', int)
    .option('--lr <rate>', 'base learning rate (default 0.0025)', Number.parseFloat)
    .option('--seed <n>', 'random seed (default 2345)', int)
    .option('--version <v>', 'version of the new model (default <base>+ft.<time>)')
    .option('--registry <dir>', 'also register the new model (a copy) in this model registry folder')
    .option('--activate', 'with --registry: make the new version the active one', false)
    .addHelpText(
      'after',
      `
Progress goes to stderr; the summary (JSON on stdout):
  { out, model: { name, version }, parent, trainingSet: { id, trainSlices, valSlices }, steps, device,
    processes, python, seconds, trainSeconds, secondsPerStep, loss: { first, last },
    dice: { heldOut: [slice files], meanBefore, meanAfter, perClass: { <class>: { before, after } } },
    registered?: { registry, id, parentId, active } }
"before" is the base model, "after" the new one, on the same held-out slices (null: nothing to measure).
Exit codes: 0 success, 1 failure or cancelled (nothing is left at --out), 2 usage error.`,
    )
    .action(async (o: RawOptions) => {
      if (!['auto', 'cpu', 'cuda'].includes(o.device)) throw new UserFacingError('invalid-argument', `--device must be auto, cpu or cuda, not "${o.device}".`);
      const { steps, batchSize, threads, nproc, lr, seed, version, registry, ...rest } = o;
      const summary = await finetuneCommand(
        {
          ...rest,
          device: o.device as FinetuneCommandOptions['device'],
          ...number('steps', '--steps', steps, 1),
          ...number('batchSize', '--batch-size', batchSize, 1),
          ...number('threads', '--threads', threads, 1),
          ...number('nproc', '--nproc', nproc, 1),
          ...number('lr', '--lr', lr, Number.MIN_VALUE),
          ...number('seed', '--seed', seed, 0),
          ...(version === undefined ? {} : { version }),
          ...(registry === undefined ? {} : { registry }),
        },
        err,
      );
      out(`${JSON.stringify(summary, null, 2)}\n`);
    });
}
