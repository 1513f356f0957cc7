/**
 * Bookkeeping of a batch `hsam segment` in its output folder, shared by every shard through the
 * file system only: one JSON record per study in <out>/.hsam/ (status, timing, error), written
 * atomically; `--report` reads them back.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../services/storage/atomic-write.js';

export const RECORDS_DIR = '.hsam';

export type StudyStatus = 'pending' | 'running' | 'done' | 'failed';

export interface StudyRecord {
  readonly input: string;
  readonly output: string;
  readonly status: StudyStatus;
  readonly shard: string;
  readonly host: string;
  readonly startedAt?: string;
  readonly seconds?: number;
  readonly error?: string;
}

const recordPath = (outDir: string, output: string): string => join(outDir, RECORDS_DIR, `${basename(output)}.json`);

export async function writeRecord(outDir: string, record: StudyRecord): Promise<void> {
  await mkdir(join(outDir, RECORDS_DIR), { recursive: true });
  await writeFileAtomic(recordPath(outDir, record.output), [Buffer.from(`${JSON.stringify(record, null, 2)}\n`)]);
}

export function readRecords(outDir: string): StudyRecord[] {
  const dir = join(outDir, RECORDS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    throw new Error(`${outDir} holds no hsam segment records (no ${RECORDS_DIR} folder); is it the --out of a batch?`);
  }
  return names.sort().map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as StudyRecord);
}

export interface BatchReport {
  readonly done: number;
  readonly failed: number;
  /** Not finished: never started, or started by a process that stopped before the end. */
  readonly pending: number;
  readonly seconds: { readonly total: number; readonly mean: number | null; readonly max: number | null };
  readonly failures: readonly { readonly input: string; readonly error: string }[];
  readonly unfinished: readonly string[];
}

export function summarise(records: readonly StudyRecord[]): BatchReport {
  const done = records.filter((r) => r.status === 'done');
  const times = done.map((r) => r.seconds ?? 0);
  const total = times.reduce((a, b) => a + b, 0);
  return {
    done: done.length,
    failed: records.filter((r) => r.status === 'failed').length,
    pending: records.filter((r) => r.status === 'pending' || r.status === 'running').length,
    seconds: { total, mean: times.length ? total / times.length : null, max: times.length ? Math.max(...times) : null },
    failures: records.filter((r) => r.status === 'failed').map((r) => ({ input: r.input, error: r.error ?? '' })),
    unfinished: records.filter((r) => r.status === 'pending' || r.status === 'running').map((r) => r.input),
  };
}
