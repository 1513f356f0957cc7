/**
 * `hsam cluster segment --dry-run`: the sbatch script it writes is valid bash (checked by bash
 * itself), an array of --nodes tasks with the asked partition and GPUs, running hsam segment.
 * Submission to a real slurmctld: cluster-slurm.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHsam } from '../../test-support/cli.js';
import { REPO_ROOT } from '../../test-support/paths.js';

describe('hsam cluster segment --dry-run', () => {
  it('writes an array job of N tasks running hsam segment on the same folder', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hsam-cluster-')), "labels o'neil");
    const r = await runHsam(['cluster', 'segment', join(REPO_ROOT, 'resources'), '--out', out, '--nodes', '3', '--gpus-per-task', '1', '--partition', 'gpu', '--dry-run']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { script: string; jobId: string | null; text: string };
    expect(json.jobId).toBeNull();
    expect(readFileSync(json.script, 'utf8')).toBe(json.text);
    expect(json.text).toContain('#SBATCH --array=0-2\n');
    expect(json.text).toContain('#SBATCH --partition=gpu\n');
    expect(json.text).toContain('#SBATCH --gpus-per-task=1\n');
    expect(spawnSync('bash', ['-n', json.script]).status).toBe(0);
    // bash's own word splitting of the exec line gives back the arguments, the quote included.
    const words = spawnSync('bash', ['-c', `set -- ${json.text.split('\n').find((l) => l.startsWith('exec '))!.slice(5)}; printf '%s\\n' "$@"`], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(words.slice(2, 6)).toEqual(['segment', join(REPO_ROOT, 'resources'), '--out', out]);
  });

  it('bad input: --nodes 0', async () => {
    const r = await runHsam(['cluster', 'segment', REPO_ROOT, '--out', tmpdir(), '--nodes', '0', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('hsam: --nodes must be a whole number of at least 1, not "0".\n');
  });
});
