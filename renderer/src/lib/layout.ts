/**
 * The view grid's split: where the column and row boundaries sit, as the fraction of the grid
 * given to the first column (row). Fractions are clamped so no view shrinks below
 * MIN_SPLIT of the grid.
 */

export const MIN_SPLIT = 0.15;

export function clampSplit(f: number): number {
  if (!Number.isFinite(f)) return 0.5;
  return Math.min(1 - MIN_SPLIT, Math.max(MIN_SPLIT, f));
}

/** The split for a pointer at `pointer` over a grid spanning [start, start + size) on that axis. */
export function splitAt(pointer: number, start: number, size: number): number {
  return clampSplit(size > 0 ? (pointer - start) / size : 0.5);
}

/** CSS grid tracks for a split: two fractional tracks. */
export function gridTracks(f: number): string {
  const a = clampSplit(f);
  return `${a}fr ${1 - a}fr`;
}
