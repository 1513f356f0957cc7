/**
 * The uncertainty overlay's colour scale (normalised entropy of the model's prediction, 0 sure to
 * 1 unsure; main sends it ×255). One table drives the slice views' lookup table and the legend,
 * so the legend cannot disagree with what is drawn. Sure voxels (most of every organ and the air)
 * stay transparent, so the map shows where the model hesitated: organ borders, odd anatomy.
 */

/** A stop of the scale: entropy 0..1, colour, opacity. Linear between stops. */
export interface HeatStop {
  readonly at: number;
  readonly rgb: readonly [number, number, number];
  readonly alpha: number;
}

/** Below `HEAT_FLOOR` nothing is drawn. */
export const HEAT_FLOOR = 0.15;

export const HEAT_STOPS: readonly HeatStop[] = [
  { at: 0, rgb: [255, 255, 0], alpha: 0 },
  { at: HEAT_FLOOR, rgb: [255, 255, 0], alpha: 0 },
  { at: HEAT_FLOOR + 0.001, rgb: [255, 255, 0], alpha: 0.35 },
  { at: 0.4, rgb: [255, 150, 0], alpha: 0.6 },
  { at: 0.7, rgb: [255, 0, 0], alpha: 0.8 },
  { at: 1, rgb: [255, 0, 160], alpha: 0.9 },
];

/** Colour and opacity of an entropy (0..1) on the scale. */
export function heatAt(e: number): { rgb: [number, number, number]; alpha: number } {
  const x = Math.min(1, Math.max(0, e));
  let hi = HEAT_STOPS.findIndex((s) => s.at >= x);
  if (hi <= 0) hi = 1;
  const a = HEAT_STOPS[hi - 1]!;
  const b = HEAT_STOPS[hi]!;
  const t = b.at === a.at ? 1 : (x - a.at) / (b.at - a.at);
  const mix = (p: number, q: number): number => p + (q - p) * t;
  return { rgb: [mix(a.rgb[0], b.rgb[0]), mix(a.rgb[1], b.rgb[1]), mix(a.rgb[2], b.rgb[2])], alpha: mix(a.alpha, b.alpha) };
}

/** The legend's CSS gradient (left sure, right unsure), drawn over the grey it lies on as the views do. */
export function heatGradient(): string {
  const stops = HEAT_STOPS.map((s) => `rgba(${s.rgb.join(', ')}, ${s.alpha}) ${(s.at * 100).toFixed(1)}%`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
