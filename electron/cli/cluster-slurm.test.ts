/**
 * `hsam cluster segment` against a real one-node SLURM cluster started here (slurmctld + slurmd
 * on localhost, 2 CPUs): an array of 2 tasks over 4 studies writes exactly the files one process
 * writes; after one task is cancelled mid-run, a second submission finishes only what was
 * missing. If the cluster cannot start, the test fails with the daemons' logs.
 * The tasks run the built CLI (dist/cli, `npm run build`), as a cluster node would.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TOTALSEG } from '../../test-support/paths.js';
import { runHsam } from '../../test-support/cli.js';
import { SlurmCluster } from '../../test-support/slurm-cluster.js';
import { readRecords, type StudyRecord } from './segment-batch.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const SAMPLE = join(REPO_ROOT, 'resources', 'sample', 'example_ct_sm.nii.gz');

const labelFiles = (dir: string): Record<string, Buffer> =>
  Object.fromEntries(readdirSync(dir).filter((n) => n.endsWith('.labels.nii.gz')).sort().map((n) => [n, readFileSync(join(dir, n))]));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('hsam cluster segment on a real SLURM cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hsam-slurm-'));
  let cluster: SlurmCluster | undefined;
  const savedConf = process.env['SLURM_CONF'];

  beforeAll(async () => {
    cluster = await SlurmCluster.start(join(dir, 'cluster'));
    // hsam cluster segment calls sbatch with this process's environment.
    process.env['SLURM_CONF'] = cluster.conf;
  }, 60_000);

  afterAll(async () => {
    if (savedConf === undefined) delete process.env['SLURM_CONF'];
    else process.env['SLURM_CONF'] = savedConf;
    await cluster?.stop();
  }, 60_000);

  it('an array of 2 tasks = one process, byte for byte; after a cancelled task a rerun finishes only what was missing', async () => {
    const c = cluster!;
    const studies = join(dir, 'studies');
    mkdirSync(studies);
    for (const name of ['a', 'b']) {
      cpSync(SAMPLE, join(studies, `ct-${name}.nii.gz`));
      cpSync(join(TOTALSEG, 'example_ct_dicom'), join(studies, `dicom-${name}`), { recursive: true });
    }
    const single = join(dir, 'single');
    const one = await runHsam(['segment', studies, '--out', single, '--model', DEMO, '--device', 'cpu', '--shard', '0/1']);
    expect(one.err).toBe('');
    expect(Object.keys(labelFiles(single))).toHaveLength(4);

    const submit = async (out: string): Promise<string> => {
      const r = await runHsam(['cluster', 'segment', studies, '--out', out, '--nodes', '2', '--model', DEMO, '--device', 'cpu']);
      expect(r.err).toBe('');
      const jobId = (JSON.parse(r.out) as { jobId: string | null }).jobId;
      expect(jobId).toMatch(/^\d+$/);
      return jobId!;
    };
    const taskLogs = (out: string): string =>
      readdirSync(join(out, '.hsam'))
        .filter((n) => n.endsWith('.log'))
        .map((n) => `--- ${n}\n${readFileSync(join(out, '.hsam', n), 'utf8')}`)
        .join('\n');

    // The whole archive on the cluster.
    const full = join(dir, 'full');
    const job = await submit(full);
    const states = await c.waitForJob(job, 180_000);
    expect(states, taskLogs(full)).toEqual([
      { task: 0, state: 'COMPLETED' },
      { task: 1, state: 'COMPLETED' },
    ]);
    expect(labelFiles(full)).toEqual(labelFiles(single));
    const records = readRecords(full);
    expect(records.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(records.map((r) => r.shard).sort()).toEqual(['0/2', '0/2', '1/2', '1/2']);

    // Task 1 cancelled as soon as it starts its first study.
    const cut = join(dir, 'cut');
    const job2 = await submit(cut);
    const deadline = Date.now() + 120_000;
    let cancelled = false;
    while (!cancelled && Date.now() < deadline) {
      let recs: StudyRecord[] = [];
      try {
        recs = readRecords(cut);
      } catch {
        // no record yet
      }
      if (recs.some((r) => r.shard === '1/2' && r.status === 'running')) {
        expect(c.run('scancel', [`${job2}_1`]).status).toBe(0);
        cancelled = true;
      } else await sleep(50);
    }
    expect(cancelled, taskLogs(cut)).toBe(true);
    expect(await c.waitForJob(job2, 180_000)).toEqual([
      { task: 0, state: 'COMPLETED' },
      { task: 1, state: 'CANCELLED' },
    ]);
    const before = readRecords(cut);
    const finished = before.filter((r) => r.status === 'done');
    const missing = (await runHsam(['segment', '--report', cut])).out;
    const unfinished = (JSON.parse(missing) as { unfinished: string[] }).unfinished;
    expect(unfinished.length).toBeGreaterThan(0);
    expect(finished.length + unfinished.length).toBe(4);

    const job3 = await submit(cut);
    expect(await c.waitForJob(job3, 180_000), taskLogs(cut)).toEqual([
      { task: 0, state: 'COMPLETED' },
      { task: 1, state: 'COMPLETED' },
    ]);
    const after = readRecords(cut);
    // The studies done before the cut were not touched again; the rest are done now.
    for (const r of finished) expect(after.find((x) => x.output === r.output)).toEqual(r);
    expect(after.filter((r) => !finished.some((f) => f.output === r.output)).map((r) => r.input).sort()).toEqual([...unfinished].sort());
    expect(after.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(labelFiles(cut)).toEqual(labelFiles(single));
    expect(JSON.parse((await runHsam(['segment', '--report', cut])).out)).toMatchObject({ done: 4, failed: 0, pending: 0 });
  }, 600_000);
});
