/**
 * Pure helpers behind the correction tools' user interface (main does the voxel work): slice
 * (u, v) coordinates as the `LabelTool` contract defines them, the intensity ranges the tools
 * start from, the slices to interpolate between, and tidying a clicked polygon. Ranges are
 * always ordered (lo ≤ hi) and finite; an empty or reversed input is not turned into a range.
 */
import type { Vec3, VoxelAxis } from './orientation';
import type { WindowLevel } from './window-level';

export type Range = readonly [number, number];
export type Uv = readonly [number, number];

/** The two in-plane axes of a slice along `axis`, in i, j, k order (the contract's u and v). */
export function planeAxes(axis: VoxelAxis): readonly [VoxelAxis, VoxelAxis] {
  return axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
}

/** A voxel position's (u, v) in the slice along `axis` (continuous, voxel centres at integers). */
export function toUv(axis: VoxelAxis, ijk: Vec3): Uv {
  const [u, v] = planeAxes(axis);
  return [ijk[u], ijk[v]];
}

/** The voxel position of (u, v) on slice `slice` along `axis`. */
export function fromUv(axis: VoxelAxis, slice: number, uv: Uv): Vec3 {
  const out: [number, number, number] = [0, 0, 0];
  const [u, v] = planeAxes(axis);
  out[axis] = slice;
  out[u] = uv[0];
  out[v] = uv[1];
  return out;
}

/** The intensities the window shows: level ± width / 2. */
export function windowRange(wl: WindowLevel): Range {
  return [wl.level - wl.width / 2, wl.level + wl.width / 2];
}

/** A region grow's range around its seed: value ± tolerance (a negative tolerance counts as 0). */
export function seedRange(value: number, tolerance: number): Range {
  const t = Math.max(0, tolerance);
  return [value - t, value + t];
}

/** Two typed bounds as a range, or null when either is not a number or lo exceeds hi. */
export function parseRange(lo: number, hi: number): Range | null {
  return Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi ? [lo, hi] : null;
}

/**
 * The slices to interpolate a class between, around `current`: the nearest slice below and the
 * nearest above that contain the class (`has(slice)`; null where there is none).
 */
export function interpolationSlices(has: (slice: number) => boolean, depth: number, current: number): { readonly from: number | null; readonly to: number | null } {
  let from: number | null = null;
  let to: number | null = null;
  for (let s = current - 1; s >= 0 && from === null; s--) if (has(s)) from = s;
  for (let s = current + 1; s < depth && to === null; s++) if (has(s)) to = s;
  return { from, to };
}

/**
 * A clicked polygon made ready to send: consecutive points closer than `minGap` voxels merged
 * (a double-click to close adds the same point twice), and the last dropped when it returns to
 * the first. Null when fewer than three points are left.
 */
export function tidyPolygon(points: readonly Uv[], minGap = 0.5): Uv[] | null {
  const out: Uv[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= minGap) out.push(p);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (out.length > 1 && first && last && Math.hypot(first[0] - last[0], first[1] - last[1]) < minGap) out.pop();
  return out.length >= 3 ? out : null;
}
