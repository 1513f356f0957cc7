/** Small synthetic label and image volumes for the correction-tool tests. */
import type { Vec3 } from '../../../../common/geometry.js';

export const at = (dims: Vec3, i: number, j: number, k: number): number => i + dims[0] * (j + dims[1] * k);

/** Indices of the voxels in the inclusive box lo..hi, in memory order. */
export function block(dims: Vec3, lo: Vec3, hi: Vec3): number[] {
  const out: number[] = [];
  for (let k = lo[2]; k <= hi[2]; k++) for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) out.push(at(dims, i, j, k));
  return out;
}

/** A label (or image) volume with `value` at the given indices. */
export function volumeWith<T extends Uint8Array | Int16Array>(make: (n: number) => T, dims: Vec3, fill: number, parts: readonly (readonly [readonly number[], number])[]): T {
  const v = make(dims[0] * dims[1] * dims[2]);
  v.fill(fill);
  for (const [indices, value] of parts) for (const i of indices) v[i] = value;
  return v;
}

/** Sorted plain array, for exact set comparisons. */
export const sorted = (a: ArrayLike<number>): number[] => Array.from(a).sort((x, y) => x - y);
