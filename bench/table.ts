/** What every bench/*.bench.ts module returns, and how `npm run bench` prints it. */

export interface BenchTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  /** How the figures were measured, and the targets. */
  readonly notes?: readonly string[];
}

export function formatTable(t: BenchTable): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map(String))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [t.title, '', line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map((r) => line(r.map(String))), '', ...(t.notes ?? [])].join(
    '\n',
  );
}
