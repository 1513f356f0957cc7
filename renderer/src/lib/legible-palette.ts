/**
 * Display colours for organs that touch (issue 17): a model card's colours can give touching
 * organs one hue (the demo card's liver 221,130,101 and right kidney 185,102,83 read as one
 * organ where they meet). Known abdominal organs get hues far apart where they touch — liver
 * orange-brown, both kidneys one blue, spleen purple, stomach sky blue, gallbladder green,
 * pancreas yellow, aorta red — and both kidneys alike, so left and right read as one organ
 * kind. Classes with other names keep the card's colour. Display only: exports keep the card's.
 */
import type { ModelClass } from '../../../common/contract/segmentation';

type Rgb = readonly [number, number, number];

const KIDNEY: Rgb = [64, 120, 255];

/** By class name (lower case, as model cards and TotalSegmentator name them). */
export const LEGIBLE: Readonly<Record<string, Rgb>> = {
  liver: [221, 130, 101],
  kidney_right: KIDNEY,
  kidney_left: KIDNEY,
  spleen: [157, 108, 162],
  stomach: [86, 180, 233],
  gallbladder: [0, 158, 115],
  pancreas: [240, 228, 66],
  aorta: [213, 40, 40],
};

export function legibleClasses(classes: readonly ModelClass[]): ModelClass[] {
  return classes.map((c) => {
    const rgb = c.index === 0 ? undefined : LEGIBLE[c.name.toLowerCase()];
    return rgb ? { ...c, color: rgb } : c;
  });
}

/** Hue in degrees (0–360) of an RGB colour; NaN for greys. */
export function hue([r, g, b]: Rgb): number {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max === min) return NaN;
  const d = max - min;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}
