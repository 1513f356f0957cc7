/**
 * Run-start benchmark (issue 13): what starting a model run costs main for a 512×512×300 int16
 * CT (150 MiB of voxels), before and after the inference worker read the voxels from shared
 * memory. Each way runs in its own child process (bench/run-start.child.ts) with the shipped
 * demo model and two one-slice runs, so the time is the hand-over plus one slice, and the peak
 * is the process's resident high-water mark over its resident size before the run.
 *
 * Target: no copy of the volume per run (peak over resident ≈ the slice work, not the volume).
 *
 * Run alone: npm run bench -- run-start
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchTable } from './table.js';

interface ChildResult {
  readonly mode: 'clone' | 'shared';
  readonly volumeMiB: number;
  readonly runs: readonly { readonly ms: number; readonly peakOverRssMiB: number }[];
}

function child(mode: 'clone' | 'shared'): ChildResult {
  const script = fileURLToPath(new URL('./run-start.child.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ChildResult;
}

export async function run(): Promise<BenchTable> {
  // Alternate, best of three per way: the machine's other load varies.
  const results: Record<'clone' | 'shared', ChildResult[]> = { clone: [], shared: [] };
  for (let n = 0; n < 3; n++) for (const mode of ['clone', 'shared'] as const) results[mode].push(child(mode));
  const best = (mode: 'clone' | 'shared', run: number, key: 'ms' | 'peakOverRssMiB'): number => Math.min(...results[mode].map((r) => r.runs[run]![key]));
  const mib = results.shared[0]!.volumeMiB;
  const rows = [0, 1].flatMap((run) => {
    const [tc, ts, mc, ms] = [best('clone', run, 'ms'), best('shared', run, 'ms'), best('clone', run, 'peakOverRssMiB'), best('shared', run, 'peakOverRssMiB')];
    return [
      [`run ${run + 1}: time to result (1 slice), ms`, tc.toFixed(0), ts.toFixed(0), `${(tc / ts).toFixed(2)}× faster`],
      [`run ${run + 1}: peak resident over resident before, MiB`, mc.toFixed(0), ms.toFixed(0), `${(mc / Math.max(1, ms)).toFixed(1)}× less`],
    ];
  });
  return {
    title: `Starting a model run on a 512×512×300 int16 CT (${mib.toFixed(0)} MiB of voxels)`,
    columns: ['figure', 'before: structured clone', 'after: shared memory', 'ratio'],
    rows,
    notes: [
      'Best of 3 child processes per way, alternating; each run segments one slice with the demo model, so the time is the hand-over to the worker plus one slice.',
      'Run 1 with shared memory includes moving the voxels into it (once per study); run 2 is every later run.',
    ],
  };
}

// Run alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import('./table.js');
  console.log(formatTable(await run()));
}
