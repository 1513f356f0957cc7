/**
 * Loading benchmark: the shared JPEG 2000 CT series and the largest shared NIfTI, each loaded
 * by the built `hsam info` (the product's code path, worker threads included) in a child
 * process, and the same series converted by Debian's dcm2niix in the same run. Peak memory is
 * the child's maximum resident set (getrusage via /usr/bin/time), so it counts WASM heaps and
 * worker threads honestly; the Node baseline of an empty `node -e ""` is shown for scale.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, TOTALSEG } from '../test-support/paths.js';
import type { BenchRow } from './run.js';

function measure(cmd: string, args: string[], runs = 3): { seconds: number; peakMiB: number } {
  let best = { seconds: Infinity, peakMiB: Infinity };
  for (let n = 0; n < runs; n++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    const [sec, kb] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    if ((sec ?? Infinity) < best.seconds) best = { seconds: sec ?? Infinity, peakMiB: (kb ?? 0) / 1024 };
  }
  return best;
}

export async function run(): Promise<BenchRow[]> {
  const cli = join(REPO_ROOT, 'bin', 'hsam.mjs');
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'hsam.js'))) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  const series = join(TOTALSEG, 'example_ct_dicom');
  const nifti = join(TOTALSEG, 'example_ct.nii.gz');
  const out = mkdtempSync(join(tmpdir(), 'hsam-bench-'));
  const rows: BenchRow[] = [];
  const node = measure(process.execPath, ['-e', '""']);
  rows.push({ task: 'empty node process', tool: 'node', ...node });
  rows.push({ task: 'CT series 512×512×20 J2K', tool: 'dcm2niix', ...measure('dcm2niix', ['-z', 'n', '-o', out, '-f', 'ct', series]) });
  rows.push({
    task: 'CT series 512×512×20 J2K',
    tool: 'hsam info',
    ...measure(process.execPath, [cli, 'info', series]),
    volumeMiB: (512 * 512 * 20 * 2) / 2 ** 20,
    baseline: 'dcm2niix',
  });
  rows.push({ task: 'example_ct.nii.gz 122×101×112 int32', tool: 'hsam info', ...measure(process.execPath, [cli, 'info', nifti]), volumeMiB: (122 * 101 * 112 * 4) / 2 ** 20 });
  return rows;
}
