/**
 * `hsam cluster segment`: an sbatch array job of N tasks, each running the same `hsam segment`
 * over the same folder; each task takes its share from SLURM's array variables (see shard.ts),
 * so the tasks need nothing but the shared file system. The script is kept in <out>/.hsam/.
 */
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../services/storage/atomic-write.js';
import { RECORDS_DIR } from './segment-batch.js';

export interface ClusterSegmentOptions {
  readonly out: string;
  readonly nodes: number;
  readonly model: string;
  readonly device: 'auto' | 'cpu' | 'gpu';
  readonly gpusPerTask?: number;
  readonly partition?: string;
  readonly dryRun: boolean;
  /** The command that starts hsam on a node: node and this repository's bin/hsam.mjs. */
  readonly hsam: readonly string[];
}

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

export function sbatchScript(input: string, o: ClusterSegmentOptions): string {
  const out = resolve(o.out);
  const lines = [
    '#!/bin/bash',
    '#SBATCH --job-name=hsam-segment',
    `#SBATCH --array=0-${o.nodes - 1}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --output=${join(out, RECORDS_DIR, 'slurm-%A_%a.log')}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.gpusPerTask ? [`#SBATCH --gpus-per-task=${o.gpusPerTask}`] : []),
    // Each task's share comes from SLURM_ARRAY_TASK_ID / _COUNT / _MIN.
    `exec ${[...o.hsam, 'segment', resolve(input), '--out', out, '--model', resolve(o.model), '--device', o.device].map(quote).join(' ')}`,
    '',
  ];
  return lines.join('\n');
}

export async function clusterSegment(input: string, o: ClusterSegmentOptions): Promise<{ script: string; jobId: string | null; text: string }> {
  const text = sbatchScript(input, o);
  await mkdir(join(o.out, RECORDS_DIR), { recursive: true });
  const script = join(resolve(o.out), RECORDS_DIR, 'segment.sbatch');
  await writeFileAtomic(script, [Buffer.from(text)]);
  if (o.dryRun) return { script, jobId: null, text };
  const r = spawnSync('sbatch', ['--parsable', script], { encoding: 'utf8' });
  if (r.error) throw new Error(`sbatch could not start (${r.error.message}); is SLURM's client installed on this machine?`);
  if (r.status !== 0) throw new Error(`sbatch refused the job: ${r.stderr.trim()}`);
  return { script, jobId: r.stdout.trim().split(';')[0] ?? '', text };
}
