/**
 * `npm run bench`: runs every bench/*.bench.ts module and prints one table. Each module exports
 * `run(): Promise<BenchRow[]>`; a row may name a baseline row, and the table shows the ratio.
 *
 * Memory is reported twice: the peak resident set of the process that did the work, and that
 * peak minus the peak of an empty `node -e ""` (what loading costs on top of Node itself, which
 * dcm2niix, a C program, does not pay). The peak/volume ratio uses the second figure, so it says
 * how much memory loading needs per byte of volume rather than how big Node is.
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

export interface BenchRow {
  readonly task: string;
  readonly tool: string;
  /** Best wall time of the runs, in seconds. */
  readonly seconds: number;
  /** Worst wall time of the runs, for the spread. */
  readonly worstSeconds: number;
  /** Highest peak resident memory over the runs, in MiB. */
  readonly peakMiB: number;
  /** Peak resident memory of an empty process of the same runtime, subtracted for "peak − rt". */
  readonly runtimeMiB?: number;
  /** Size of the decoded volume in MiB, for the memory target. */
  readonly volumeMiB?: number;
  /** `tool` of the row this one is compared with (same task). */
  readonly baseline?: string;
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
const here = new URL('.', import.meta.url);
const rows: BenchRow[] = [];
for (const file of readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort()) {
  const mod = (await import(pathToFileURL(new URL(file, here).pathname).href)) as { run: () => Promise<BenchRow[]> };
  rows.push(...(await mod.run()));
}
const fmt = (x: number, d = 2): string => x.toFixed(d);
const header = ['task', 'tool', 'time s best (worst)', 'peak MiB', 'peak − node MiB', 'volume MiB', 'time ratio', '(peak − node)/volume'];
const table = rows.map((r) => {
  const base = rows.find((b) => b.task === r.task && b.tool === r.baseline);
  const extra = r.runtimeMiB === undefined ? undefined : r.peakMiB - r.runtimeMiB;
  return [
    r.task,
    r.tool,
    `${fmt(r.seconds)} (${fmt(r.worstSeconds)})`,
    fmt(r.peakMiB, 0),
    extra === undefined ? '' : fmt(extra, 0),
    r.volumeMiB === undefined ? '' : fmt(r.volumeMiB, 1),
    base ? `${fmt(r.seconds / base.seconds)}× ${r.baseline}` : '',
    r.volumeMiB && extra !== undefined ? fmt(extra / r.volumeMiB, 1) : '',
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => (t[i] ?? '').length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
console.log(
  [
    '',
    'time: best and worst wall time of the runs; peak: the highest peak resident set over the runs.',
    'peak − node: peak minus that of an empty node process; the memory ratio uses it (target ≤ 2).',
    `load average (1, 5, 15 min) before: ${loadBefore}; after: ${load()} — on a loaded machine times vary.`,
  ].join('\n'),
);
