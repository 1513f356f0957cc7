/**
 * `hsam segment`: the one-click segmentation, headless, through the same handler table as the
 * app. One volume → one label file in the input's geometry; a folder of studies → one label
 * file per series or volume file, resumable (finished outputs are skipped, every output is
 * written atomically so an interrupted run never leaves a file that looks finished).
 */
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { OpenedStudy } from '../../common/contract/api.js';
import type { Result } from '../../common/contract/result.js';
import type { ModelStatus } from '../../common/contract/segmentation.js';
import { encodeNiftiFile } from '../services/imaging/nifti-write.js';
import { seriesOutputName, VOLUME_FILE, volumeOutputName } from '../services/segment-outputs.js';
import { writeFileAtomic } from '../services/storage/atomic-write.js';
import { refuseOutputsThatAreInputs, refuseOverwritingInputs } from '../services/storage/output-guard.js';
import { createWorkstation, type Workstation } from '../services/workstation.js';
import { makeScratch, removeStaleScratch } from './scratch-dir.js';
import { cliPaths } from '../services/app-paths.js';
import { RECORDS_DIR, writeRecord, type StudyStatus } from './segment-batch.js';
import { takeShard, WHOLE, type Shard } from './shard.js';

export interface SegmentOptions {
  readonly model: string;
  readonly out: string;
  readonly device: 'auto' | 'cpu' | 'gpu';
  readonly batch?: number;
  readonly series?: string;
  readonly force: boolean;
  /** Batch mode: this process's share of the studies. */
  readonly shard?: Shard;
}

class CliError extends Error {}


function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new CliError(r.error.message);
  return r.value;
}

/** A batch's own output: labels, not a study (--out may be the studies' folder, as the app's worklist reads them). */
const LABELS_OUTPUT = /\.labels\.nii\.gz$/i;

/** Files under `dir` that hold volumes, recursively, skipping `exclude`, the batch records and earlier outputs. */
function volumeFiles(dir: string, exclude: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (resolve(p) === resolve(exclude) || e.name === RECORDS_DIR || LABELS_OUTPUT.test(e.name)) continue;
    if (e.isDirectory()) out.push(...volumeFiles(p, exclude));
    else if (VOLUME_FILE.test(e.name)) out.push(p);
  }
  return out.sort();
}


/**
 * Give every job its own output: names that the stem folds together (`x y.nii.gz` and
 * `x_y.nii.gz`) each get a short hash of their input, stable across reruns, so a resumed run
 * finds the same files and no study's labels replace another's.
 */
function uniqueOutputs(jobs: { input: string; output: string }[]): void {
  const count = new Map<string, number>();
  for (const j of jobs) count.set(j.output, (count.get(j.output) ?? 0) + 1);
  for (const j of jobs) {
    if ((count.get(j.output) ?? 0) < 2) continue;
    const tag = createHash('sha256').update(j.input).digest('hex').slice(0, 8);
    j.output = j.output.replace(/\.labels\.nii\.gz$/, `-${tag}.labels.nii.gz`);
  }
}

interface Job {
  readonly input: string;
  output: string;
  /** Opens the study. */
  readonly open: () => Promise<OpenedStudy>;
}

async function segmentOne(ws: Workstation, job: Job, model: ModelStatus, batch: number | undefined): Promise<Record<string, unknown>> {
  const { meta } = await job.open();
  const summary = unwrap(await ws.api.segment.start({ volumeId: meta.volumeId, ...(batch ? { batch } : {}) }));
  const state = unwrap(await ws.api.labels.get({ volumeId: meta.volumeId }));
  const bytes = encodeNiftiFile(job.output, {
    ...meta,
    voxelType: 'uint8',
    voxels: state.labels,
    description: `${model.name} ${model.version}`.slice(0, 79),
    displayRange: [0, model.classes.length - 1],
  });
  await writeFileAtomic(job.output, [bytes]);
  await ws.api.volume.close({ volumeId: meta.volumeId });
  const { volumeId: _id, model: _model, change: _change, ...rest } = summary;
  return { input: job.input, output: job.output, status: 'done', ...rest };
}

export async function segmentCommand(input: string, opts: SegmentOptions, version: string): Promise<Record<string, unknown>> {
  removeStaleScratch();
  const sessionsDir = makeScratch();
  const ws = createWorkstation({
    version,
    dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
    emit: () => {},
    sessionsDir,
  });
  try {
    const model = unwrap(await ws.api.model.load({ fileId: ws.files.grant(opts.model, 'command-line').fileId, device: opts.device }));
    const isFolder = statSync(input, { throwIfNoEntry: false })?.isDirectory() ?? false;
    const batchMode = isFolder && (statSync(opts.out, { throwIfNoEntry: false })?.isDirectory() || !VOLUME_FILE.test(opts.out));
    const jobs: Job[] = [];

    if (!isFolder) {
      await refuseOverwritingInputs(opts.out, [input]);
      const fileId = ws.files.grant(input, 'command-line').fileId;
      jobs.push({ input, output: opts.out, open: async () => unwrap(await ws.api.volume.open({ fileId })) });
    } else {
      const folderId = ws.files.grant(input, 'command-line').fileId;
      const scanned = await ws.api.dicom.scanFolder({ fileId: folderId });
      // A folder of volume files may hold no DICOM at all: in batch mode that is no series, not a failure.
      const volumes = batchMode && !opts.series ? volumeFiles(input, opts.out) : [];
      const scan = !scanned.ok && scanned.error.code === 'unreadable' && volumes.length > 0 ? { name: basename(input), scanId: '', series: [] } : unwrap(scanned);
      const series = opts.series ? scan.series.filter((s) => s.seriesId === opts.series || s.seriesInstanceUID === opts.series) : scan.series;
      if (opts.series && series.length === 0) throw new CliError(`${scan.name} has no series "${opts.series}".`);
      if (!batchMode && series.length !== 1) {
        throw new CliError(`${scan.name} holds ${series.length} DICOM series; name one with --series, or give a folder as --out to segment them all.`);
      }
      for (const s of series) {
        const output = batchMode ? join(opts.out, seriesOutputName(s)) : opts.out;
        jobs.push({
          input: `${input}#${s.seriesId}`,
          output,
          open: async () => unwrap(await ws.api.dicom.openSeries({ scanId: scan.scanId, seriesId: s.seriesId })),
        });
      }
      if (batchMode && !opts.series) {
        for (const f of volumes) {
          const fileId = ws.files.grant(f, 'command-line').fileId;
          const output = join(opts.out, volumeOutputName(input, f));
          jobs.push({ input: f, output, open: async () => unwrap(await ws.api.volume.open({ fileId })) });
        }
      }
      if (batchMode) {
        uniqueOutputs(jobs);
        await mkdir(opts.out, { recursive: true });
      }
      // No study's labels may replace a volume file of the run (series inputs are folders: outputs beside them are fine).
      const files = jobs.filter((j) => !j.input.includes('#')).map((j) => j.input);
      await refuseOutputsThatAreInputs(jobs.map((j) => j.output), files);
    }

    const shard = opts.shard ?? WHOLE;
    const shardName = `${shard.index}/${shard.count}`;
    if (batchMode) {
      // Every shard has named every output the same way (uniqueOutputs above) before taking its share.
      jobs.splice(0, jobs.length, ...takeShard(jobs, shard));
    }
    const record = (job: Job, status: StudyStatus, extra: { startedAt?: string; seconds?: number; error?: string } = {}): Promise<void> =>
      writeRecord(opts.out, { input: job.input, output: job.output, status, shard: shardName, host: hostname(), ...extra });
    const results: Record<string, unknown>[] = [];
    if (batchMode) {
      for (const job of jobs) if (opts.force || !statSync(job.output, { throwIfNoEntry: false })) await record(job, 'pending');
    }
    for (const job of jobs) {
      if (batchMode && !opts.force && statSync(job.output, { throwIfNoEntry: false })) {
        results.push({ input: job.input, output: job.output, status: 'skipped', reason: 'output exists (use --force to redo)' });
        continue;
      }
      const startedAt = new Date().toISOString();
      const t0 = performance.now();
      if (batchMode) await record(job, 'running', { startedAt });
      try {
        results.push(await segmentOne(ws, job, model, opts.batch));
        if (batchMode) await record(job, 'done', { startedAt, seconds: (performance.now() - t0) / 1000 });
      } catch (e) {
        if (!batchMode) throw e;
        const error = e instanceof Error ? e.message : String(e);
        results.push({ input: job.input, output: job.output, status: 'failed', error });
        await record(job, 'failed', { startedAt, seconds: (performance.now() - t0) / 1000, error });
      }
    }
    const modelInfo = { name: model.name, version: model.version, provider: model.provider, precision: model.precision, skipped: model.skipped };
    return batchMode ? { model: modelInfo, shard: shardName, studies: results } : { model: modelInfo, ...results[0] };
  } finally {
    await ws.dispose();
    rmSync(sessionsDir, { recursive: true, force: true });
  }
}

/** The bundled demo model, in a checkout or an installed app. */
export const defaultModelDir = (): string => cliPaths(import.meta.url).defaultModelDir;
