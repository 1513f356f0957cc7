/**
 * Sharded batch `hsam segment`: two shards over four studies write exactly the files one process
 * writes (same names, same bytes), each study once; failures are recorded with their reason and
 * make the exit code 1; a rerun after a lost study redoes only that one; --report adds it up.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, TOTALSEG } from '../../test-support/paths.js';
import { runHsam } from '../../test-support/cli.js';
import { parseShard, resolveShard, takeShard } from './shard.js';
import type { StudyRecord } from './segment-batch.js';
import { DEMO_LABEL } from '../../test-support/demo-model.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const SAMPLE = join(REPO_ROOT, 'resources', 'sample', 'example_ct_sm.nii.gz');

const labelFiles = (dir: string): Record<string, Buffer> =>
  Object.fromEntries(readdirSync(dir).filter((n) => n.endsWith('.labels.nii.gz')).sort().map((n) => [n, readFileSync(join(dir, n))]));

describe('shard choice', () => {
  it('--shard i/n, else SLURM array variables (offset by their minimum), else the whole batch', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(() => parseShard('4/4')).toThrow('--shard must be i/n with 0 ≤ i < n (e.g. 0/4), not "4/4".');
    expect(() => parseShard('x')).toThrow('not "x"');
    const slurm = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1' };
    expect(resolveShard(undefined, slurm)).toEqual({ index: 2, count: 3 });
    expect(resolveShard('0/2', slurm)).toEqual({ index: 0, count: 2 });
    expect(resolveShard(undefined, {})).toEqual({ index: 0, count: 1 });
    const all = [...'abcdefg'];
    const parts = [0, 1, 2].map((index) => takeShard(all, { index, count: 3 }));
    expect(parts.flat().sort()).toEqual(all);
  });
});

describe('hsam segment --shard', () => {
  it('two shards = one process, byte for byte; failures recorded; a rerun redoes only what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hsam-shard-'));
    const studies = join(dir, 'studies');
    mkdirSync(studies);
    cpSync(join(TOTALSEG, 'example_ct_dicom'), join(studies, 'patient-a'), { recursive: true });
    cpSync(SAMPLE, join(studies, 'ct.nii.gz'));
    // Same stem as ct.nii.gz: the batch must give it its own output name.
    writeFileSync(join(studies, 'ct.nii'), gunzipSync(readFileSync(SAMPLE)));
    cpSync(join(TOTALSEG, 'example_mr_sm.nii.gz'), join(studies, 'mr.nii.gz'));

    const single = join(dir, 'single');
    const one = await runHsam(['segment', studies, '--out', single, '--model', DEMO, '--device', 'cpu']);
    expect(one.code).toBe(1);
    expect(one.err).toBe('hsam: 1 of 4 studies failed (their "error" is in the summary above); the others are done.\n');
    // ct.nii.gz and ct.nii share a stem: each gets its own name, the same in every shard.
    const names = Object.keys(labelFiles(single)).sort();
    expect(names).toHaveLength(3);
    expect(names.filter((n) => /^ct-[0-9a-f]{8}\.labels\.nii\.gz$/.test(n))).toHaveLength(2);

    const sharded = join(dir, 'sharded');
    const shardRuns = [];
    for (const s of ['0/2', '1/2']) shardRuns.push(await runHsam(['segment', studies, '--out', sharded, '--model', DEMO, '--device', 'cpu', '--shard', s]));
    const statuses = shardRuns.map((r) => (JSON.parse(r.out) as { studies: { status: string }[] }).studies.map((x) => x.status));
    expect(statuses.flat().sort()).toEqual(['done', 'done', 'done', 'failed']);
    expect(statuses.map((s) => s.length)).toEqual([2, 2]);
    expect(labelFiles(sharded)).toEqual(labelFiles(single));

    const records = readdirSync(join(sharded, '.hsam')).map((n) => JSON.parse(readFileSync(join(sharded, '.hsam', n), 'utf8')) as StudyRecord);
    expect(records.map((r) => r.status).sort()).toEqual(['done', 'done', 'done', 'failed']);
    expect(records.find((r) => r.status === 'failed')).toMatchObject({
      input: join(studies, 'mr.nii.gz'),
      error: `The file does not say its modality and its values do not look like CT in Hounsfield units; model ${DEMO_LABEL} supports CT.`,
    });
    for (const r of records.filter((x) => x.status === 'done')) expect(r.seconds).toBeGreaterThan(0);

    // A lost study (its process killed before the rename): only it is redone.
    const lostRecord = records.find((r) => r.input === join(studies, 'ct.nii.gz'));
    const lost = lostRecord?.output ?? '';
    expect(lost).toMatch(/ct-[0-9a-f]{8}\.labels\.nii\.gz$/);
    rmSync(lost);
    writeFileSync(join(sharded, '.hsam', `${basename(lost)}.json`), JSON.stringify({ ...lostRecord, status: 'running' }));
    const report = await runHsam(['segment', '--report', sharded]);
    expect(JSON.parse(report.out)).toMatchObject({ done: 2, failed: 1, pending: 1, unfinished: [join(studies, 'ct.nii.gz')] });
    expect(report.code).toBe(1);

    const rerun = await runHsam(['segment', studies, '--out', sharded, '--model', DEMO, '--device', 'cpu', '--shard', '0/1']);
    const rows = (JSON.parse(rerun.out) as { studies: { input: string; status: string }[] }).studies;
    expect(rows.filter((r) => r.status === 'done').map((r) => r.input)).toEqual([join(studies, 'ct.nii.gz')]);
    expect(labelFiles(sharded)).toEqual(labelFiles(single));
    expect(JSON.parse((await runHsam(['segment', '--report', sharded])).out)).toMatchObject({ done: 3, failed: 1, pending: 0 });
  }, 240_000);

  it('--out the studies folder itself (where the worklist looks): labels beside the studies, never taken for studies on a rerun', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hsam-beside-'));
    cpSync(SAMPLE, join(dir, 'ct.nii.gz'));
    const first = await runHsam(['segment', dir, '--out', dir, '--model', DEMO, '--device', 'cpu', '--shard', '0/1']);
    expect(first.code, first.err).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['.hsam', 'ct.labels.nii.gz', 'ct.nii.gz']);
    const rerun = await runHsam(['segment', dir, '--out', dir, '--model', DEMO, '--device', 'cpu', '--shard', '0/1']);
    expect(rerun.code, rerun.err).toBe(0);
    expect((JSON.parse(rerun.out) as { studies: { input: string; status: string }[] }).studies).toMatchObject([{ input: join(dir, 'ct.nii.gz'), status: 'skipped' }]);
  }, 120_000);
});
