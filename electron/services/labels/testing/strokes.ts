/** Deterministic brush strokes for label tests and benchmarks. */
import type { Vec3 } from '../../../../common/geometry.js';

/** Voxel indices of a filled disk of `radius` voxels in the k-slice through `centre`. */
export function disk(dims: Vec3, centre: Vec3, radius: number): Uint32Array {
  const [nx, ny] = dims;
  const [cx, cy, cz] = centre;
  const out: number[] = [];
  for (let j = Math.max(0, cy - radius); j <= Math.min(ny - 1, cy + radius); j++) {
    for (let i = Math.max(0, cx - radius); i <= Math.min(nx - 1, cx + radius); i++) {
      if ((i - cx) ** 2 + (j - cy) ** 2 <= radius * radius) out.push(i + nx * (j + ny * cz));
    }
  }
  return Uint32Array.from(out);
}

/** `n` strokes (centre, label) from a seeded linear congruential generator. */
export function strokes(dims: Vec3, n: number, seed: number): [Vec3, number][] {
  let x = seed >>> 0;
  const next = (m: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % m;
  };
  return Array.from({ length: n }, () => [[next(dims[0]), next(dims[1]), next(dims[2])] as Vec3, next(9)]);
}
