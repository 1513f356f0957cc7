/**
 * Exact Euclidean distance transform of a 2D grid (Felzenszwalb & Huttenlocher 2012, "Distance
 * transforms of sampled functions"): the lower envelope of parabolas along each row, then each
 * column, in O(n). Distances are in physical units: column and row steps `wa` and `wb` (mm).
 *
 * Invariant: only finite samples become parabolas, so a row with no feature stays at Infinity
 * instead of mixing huge sentinels (the 1e20 trick loses precision in the intersections).
 */

/** 1D pass over f[off + q·step], q < n, written back in place; v, z, tmp are scratch (≥ n, n + 1, n). */
function pass(f: Float64Array, off: number, step: number, n: number, w: number, v: Int32Array, z: Float64Array, tmp: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[off + q * step]!;
    tmp[q] = fq;
    if (fq === Infinity) continue;
    const xq = w * q;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    for (;;) {
      const p = v[k]!;
      const xp = w * p;
      const s = (fq + xq * xq - (tmp[p]! + xp * xp)) / (2 * (xq - xp));
      if (s <= z[k]!) {
        k--; // z[0] is −∞, so k never drops below 0 here
        continue;
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
      break;
    }
  }
  if (k < 0) return; // no feature on this line: it stays at Infinity
  let j = 0;
  for (let q = 0; q < n; q++) {
    const xq = w * q;
    while (z[j + 1]! < xq) j++;
    const p = v[j]!;
    const dx = xq - w * p;
    f[off + q * step] = dx * dx + tmp[p]!;
  }
}

/**
 * Squared distance transform in place: `f` (na × nb, a fastest) holds 0 at feature voxels and
 * Infinity elsewhere; afterwards each holds its squared distance to the nearest feature.
 */
export function squaredEdt(f: Float64Array, na: number, nb: number, wa: number, wb: number): void {
  const n = Math.max(na, nb);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  const tmp = new Float64Array(n);
  for (let b = 0; b < nb; b++) pass(f, b * na, 1, na, wa, v, z, tmp);
  for (let a = 0; a < na; a++) pass(f, a, na, nb, wb, v, z, tmp);
}

/**
 * Signed distance to the mask's boundary: negative inside (minus the distance to the nearest
 * outside voxel), positive outside (the distance to the nearest inside voxel), never 0. A grid
 * without inside (or outside) voxels gets ± its diagonal instead of infinities, so blends stay finite.
 */
export function signedDistance(mask: Uint8Array, na: number, nb: number, wa: number, wb: number): Float64Array {
  const toInside = new Float64Array(na * nb);
  const toOutside = new Float64Array(na * nb);
  for (let p = 0; p < mask.length; p++) {
    const inside = mask[p] !== 0;
    toInside[p] = inside ? 0 : Infinity;
    toOutside[p] = inside ? Infinity : 0;
  }
  squaredEdt(toInside, na, nb, wa, wb);
  squaredEdt(toOutside, na, nb, wa, wb);
  const far = Math.hypot(na * wa, nb * wb);
  const out = toInside; // reuse: each entry is read before it is overwritten
  for (let p = 0; p < out.length; p++) {
    const dIn = toInside[p]!;
    out[p] = dIn > 0 ? Math.min(Math.sqrt(dIn), far) : -Math.min(Math.sqrt(toOutside[p]!), far);
  }
  return out;
}

/**
 * Squared distance transform of a 3D grid in place (na × nb × nc, a fastest), one 1D pass per
 * axis (the transform is separable): voxel steps `w` in mm, so distances are physical.
 */
export function squaredEdt3d(f: Float64Array, n: readonly [number, number, number], w: readonly [number, number, number]): void {
  const [na, nb, nc] = n;
  const m = Math.max(na, nb, nc);
  const v = new Int32Array(m);
  const z = new Float64Array(m + 1);
  const tmp = new Float64Array(m);
  for (let c = 0; c < nc; c++) for (let b = 0; b < nb; b++) pass(f, (c * nb + b) * na, 1, na, w[0], v, z, tmp);
  for (let c = 0; c < nc; c++) for (let a = 0; a < na; a++) pass(f, c * na * nb + a, na, nb, w[1], v, z, tmp);
  for (let b = 0; b < nb; b++) for (let a = 0; a < na; a++) pass(f, b * na + a, na * nb, nc, w[2], v, z, tmp);
}
