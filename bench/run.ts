/**
 * `npm run bench`: runs every bench/*.bench.ts module and prints one table. Each module exports
 * `run(): Promise<BenchRow[]>`; a row may name a baseline row, and the table shows the ratio.
 */
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface BenchRow {
  readonly task: string;
  readonly tool: string;
  readonly seconds: number;
  /** Peak resident memory of the process that did the work, in MiB. */
  readonly peakMiB: number;
  /** Size of the decoded volume in MiB, for the memory target. */
  readonly volumeMiB?: number;
  /** `tool` of the row this one is compared with (same task). */
  readonly baseline?: string;
}

const here = new URL('.', import.meta.url);
const rows: BenchRow[] = [];
for (const file of readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort()) {
  const mod = (await import(pathToFileURL(new URL(file, here).pathname).href)) as { run: () => Promise<BenchRow[]> };
  rows.push(...(await mod.run()));
}
const fmt = (x: number, d = 2): string => x.toFixed(d);
const header = ['task', 'tool', 'time s', 'peak MiB', 'volume MiB', 'time ratio', 'peak/volume'];
const table = rows.map((r) => {
  const base = rows.find((b) => b.task === r.task && b.tool === r.baseline);
  return [
    r.task,
    r.tool,
    fmt(r.seconds),
    fmt(r.peakMiB, 0),
    r.volumeMiB === undefined ? '' : fmt(r.volumeMiB, 1),
    base ? `${fmt(r.seconds / base.seconds)}× ${r.baseline}` : '',
    r.volumeMiB ? fmt(r.peakMiB / r.volumeMiB, 1) : '',
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => (t[i] ?? '').length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
