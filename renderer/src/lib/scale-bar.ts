/**
 * The scale bar of a slice view: the longest round length (1, 2 or 5 × 10ⁿ mm) that fits in a
 * fraction of the view's width at the current zoom. Rejects nothing; a degenerate view (zero
 * width or scale) gets no bar (length 0).
 */

export interface ScaleBar {
  /** Length in millimetres. */
  readonly mm: number;
  /** Length on screen in CSS pixels. */
  readonly px: number;
  /** "5 mm", "2 cm", "10 cm". */
  readonly label: string;
}

const STEPS = [1, 2, 5] as const;

/** The largest 1-2-5 length not above `maxMm` (0 for non-positive or non-finite input). */
export function roundLength(maxMm: number): number {
  if (!(maxMm > 0) || !Number.isFinite(maxMm)) return 0;
  const decade = 10 ** Math.floor(Math.log10(maxMm));
  // Guard against floating point: 5e-1 / 1e-1 may land a hair above or below 5.
  const best = [...STEPS].reverse().find((s) => s * decade <= maxMm * (1 + 1e-9)) ?? 1;
  return Number((best * decade).toPrecision(1));
}

/** Millimetres as the bar's text: centimetres from 10 mm up when whole, millimetres otherwise. */
export function formatLength(mm: number): string {
  if (mm >= 10 && Number.isInteger(mm / 10)) return `${mm / 10} cm`;
  return `${mm} mm`;
}

export function scaleBar(mmPerPx: number, viewWidthPx: number, fraction = 0.2): ScaleBar {
  const mm = roundLength(viewWidthPx * fraction * mmPerPx);
  return { mm, px: mm > 0 ? mm / mmPerPx : 0, label: formatLength(mm) };
}
