/**
 * How the label overlay looks: class colours (from the model card or label schema), the global
 * opacity, a per-class opacity on top of it, hidden classes, and fill or outline drawing.
 * Opacities are clamped to 0..1; background (0) is never drawn.
 */
import type { LabelMode } from './label-slice';

export interface LabelClass {
  readonly index: number;
  readonly name: string;
  readonly color: readonly [number, number, number];
}

export interface LabelStyle {
  readonly classes: readonly LabelClass[];
  /** 0..1, applied to every visible class. */
  readonly opacity: number;
  readonly hidden: ReadonlySet<number>;
  /** 0..1 per class index, multiplied with `opacity`; a class not in the map has 1. */
  readonly classOpacity?: ReadonlyMap<number, number>;
  /** Fill each class (default), or draw only its boundary pixels in the slice. */
  readonly mode?: LabelMode;
}

/**
 * Opacity of label value `v` on screen. Outlines (and hatching) are drawn opaque whatever the
 * fill opacity: a one-pixel line at 45 % is lost on grey CT.
 */
export function labelAlpha(style: LabelStyle, v: number): number {
  if (v === 0 || style.hidden.has(v)) return 0;
  if ((style.mode ?? 'fill') !== 'fill') return style.classOpacity?.get(v) === 0 ? 0 : 1;
  const a = style.opacity * (style.classOpacity?.get(v) ?? 1);
  return Math.min(1, Math.max(0, a));
}

/** The highest class index the style names (at least 1, at most 255: labels are bytes). */
export function lastClass(style: LabelStyle): number {
  return Math.min(255, Math.max(1, ...style.classes.map((c) => c.index)));
}

/** A class index the style has no colour for: magenta, which no palette uses for an organ. */
const UNKNOWN: readonly [number, number, number] = [255, 0, 255];

/**
 * The colour and opacity of every byte value, 256 RGBA entries (straight alpha, 0..255), as the
 * slice views look labels up. Values above the style's last class draw as that class, as a vtk
 * transfer function clamps to its last point.
 */
export function labelTable(style: LabelStyle): Uint8Array {
  const table = new Uint8Array(256 * 4);
  const last = lastClass(style);
  for (let v = 0; v < 256; v++) {
    const at = Math.min(v, last);
    const [r, g, b] = style.classes.find((k) => k.index === at)?.color ?? UNKNOWN;
    table.set([r, g, b, Math.round(255 * labelAlpha(style, at))], 4 * v);
  }
  return table;
}
