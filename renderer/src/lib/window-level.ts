/**
 * Display windows: the default for a freshly opened volume, the named presets the toolbar
 * offers (fixed Hounsfield windows for CT, image percentiles for MR and other non-HU volumes),
 * and the mapping of a window/level drag to a new window. Widths are always positive.
 */
import type { VolumeMeta } from '../../../common/contract/volume';

export interface WindowLevel {
  readonly width: number;
  readonly level: number;
}

export interface WindowPreset extends WindowLevel {
  /** Stable id (the preset picker's option value). */
  readonly id: string;
  readonly name: string;
}

/** CT soft-tissue (abdomen) window: the organs H-SAM segments are judged in it. */
export const CT_ABDOMEN: WindowLevel = { width: 400, level: 40 };

/** The usual CT windows, in Hounsfield units. */
export const CT_PRESETS: readonly WindowPreset[] = [
  { id: 'ct-abdomen', name: 'Abdomen', ...CT_ABDOMEN },
  { id: 'ct-liver', name: 'Liver', width: 150, level: 30 },
  { id: 'ct-lung', name: 'Lung', width: 1500, level: -600 },
  { id: 'ct-bone', name: 'Bone', width: 1800, level: 400 },
  { id: 'ct-brain', name: 'Brain', width: 80, level: 40 },
];

/**
 * CT when the source says so, or when the values look like Hounsfield units (air near −1000
 * and bone above a few hundred); otherwise the full value range.
 */
export function isHounsfield(meta: Pick<VolumeMeta, 'modality' | 'min' | 'max'>): boolean {
  const looksLikeHu = meta.min <= -900 && meta.max >= 200 && meta.max <= 5000;
  return meta.modality === 'CT' || (meta.modality === undefined && looksLikeHu);
}

export function defaultWindow(meta: Pick<VolumeMeta, 'modality' | 'min' | 'max'>): WindowLevel {
  if (isHounsfield(meta)) return CT_ABDOMEN;
  const width = Math.max(1, meta.max - meta.min);
  return { width, level: meta.min + width / 2 };
}

/**
 * Values at the given percentiles (0..100) of the voxels, from a histogram of `bins` bins over
 * [min, max] (one pass, no sort: exact to (max − min) / bins, linear inside a bin). NaN voxels
 * are left out; an empty or constant volume gives `min` for every percentile.
 */
export function percentiles(voxels: ArrayLike<number>, min: number, max: number, ps: readonly number[], bins = 4096): number[] {
  const n = voxels.length;
  if (n === 0 || !(max > min)) return ps.map(() => min);
  const hist = new Float64Array(bins);
  const scale = bins / (max - min);
  let counted = 0;
  for (let i = 0; i < n; i++) {
    const b = Math.floor((voxels[i]! - min) * scale);
    if (Number.isNaN(b)) continue; // NaN voxels (float volumes) have no place in the ranking
    hist[b < 0 ? 0 : b >= bins ? bins - 1 : b]!++;
    counted++;
  }
  return ps.map((p) => {
    const target = (Math.min(100, Math.max(0, p)) / 100) * counted;
    let seen = 0;
    for (let b = 0; b < bins; b++) {
      const count = hist[b]!;
      if (count > 0 && seen + count >= target) return min + (b + (target - seen) / count) / scale;
      seen += count;
    }
    return max;
  });
}

/** Percentile windows (1–99 %, 5–95 %) and the full range, for volumes without a fixed unit. */
export function percentilePresets(meta: Pick<VolumeMeta, 'min' | 'max'>, voxels: ArrayLike<number>): WindowPreset[] {
  const [p1, p5, p95, p99] = percentiles(voxels, meta.min, meta.max, [1, 5, 95, 99]) as [number, number, number, number];
  const between = (id: string, name: string, lo: number, hi: number): WindowPreset => {
    const width = Math.max(hi - lo, (meta.max - meta.min) * 1e-3, Number.MIN_VALUE);
    return { id, name, width, level: (lo + hi) / 2 };
  };
  return [between('p1-99', '1–99 %', p1, p99), between('p5-95', '5–95 %', p5, p95), between('full', 'Full range', meta.min, meta.max)];
}

/** The presets the toolbar offers for a volume: CT windows for Hounsfield data, percentiles otherwise. */
export function windowPresets(meta: Pick<VolumeMeta, 'modality' | 'min' | 'max'>, voxels: ArrayLike<number>): readonly WindowPreset[] {
  return isHounsfield(meta) ? CT_PRESETS : percentilePresets(meta, voxels);
}

/** The preset a window equals, if any. */
export function matchPreset(presets: readonly WindowPreset[], wl: WindowLevel): WindowPreset | undefined {
  return presets.find((p) => p.width === wl.width && p.level === wl.level);
}

/**
 * A window/level drag from `start` by (dx, dy) screen pixels: right widens the window
 * (exponentially, so it never reaches zero), down raises the level (darker), both scaled by the
 * starting width so narrow windows stay controllable.
 */
export function dragWindowLevel(start: WindowLevel, dx: number, dy: number): WindowLevel {
  const grow = Math.exp(Math.min(20, Math.max(-20, dx / 200)));
  return { width: start.width * grow, level: start.level + (dy * start.width) / 256 };
}

/** A window value for the readout: whole numbers from 100 up, three significant digits below. */
export function formatWindowValue(v: number): string {
  if (Math.abs(v) >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}
