/**
 * `npm run bench`: runs every bench/*.bench.ts module in turn and prints each one's table, with
 * the machine's load before and after (figures from a busy machine are not comparable). A
 * module exports `run(): Promise<BenchTable>`; figures and their ratios to the baselines and
 * targets stand side by side in its table.
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { formatTable, type BenchTable } from './table.js';

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const only = process.argv.slice(2);
const here = new URL('.', import.meta.url);
for (const file of readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort()) {
  if (only.length > 0 && !only.some((o) => file.startsWith(o))) continue;
  const before = load();
  const mod = (await import(pathToFileURL(new URL(file, here).pathname).href)) as { run: () => Promise<BenchTable> };
  console.log(formatTable(await mod.run()));
  console.log(`load average (1, 5, 15 min) before: ${before}; after: ${load()} — on a loaded machine times vary.\n`);
}
