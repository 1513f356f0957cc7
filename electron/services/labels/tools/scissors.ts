/**
 * Scissors: a polygon drawn on one slice plane cuts the voxels inside it (or outside it), on
 * that slice only or through the whole volume along the plane's axis.
 *
 * Points are in the plane's (u, v) voxel coordinates (see grid.ts), voxel centres at integers;
 * they may lie outside the slice (the polygon is clipped). A voxel is inside when its centre
 * is, by the even-odd rule, with half-open edges ([lo, hi) along both u and v) so two polygons
 * sharing an edge never both claim a voxel. Self-intersecting polygons are allowed (even-odd).
 *
 * Rejected: fewer than 3 points, non-finite coordinates, a slice outside the volume, and a cut
 * whose filtered voxels exceed `maxVoxels`.
 */
import { UserFacingError } from '../../../../common/contract/result.js';
import { IndexList, sliceBox, type Axis, type Dims } from './grid.js';
import { passes, type CandidateFilter } from './threshold.js';

export type Point2 = readonly [number, number];

export interface ScissorsParams {
  readonly axis: Axis;
  readonly slice: number;
  readonly points: readonly Point2[];
  readonly side: 'inside' | 'outside';
  /** The drawn slice only, or every slice along `axis`. */
  readonly through: 'slice' | 'volume';
}

/** 1 where the voxel centre (a, b) of an na×nb plane lies inside the polygon; a = u, b = v. */
export function polygonMask(na: number, nb: number, points: readonly Point2[]): Uint8Array {
  if (points.length < 3) throw new UserFacingError('invalid-argument', 'A scissors polygon needs at least 3 points.');
  if (!points.every(([u, v]) => Number.isFinite(u) && Number.isFinite(v))) {
    throw new UserFacingError('invalid-argument', 'A scissors polygon point is not a finite number.');
  }
  const n = points.length;
  const us = Float64Array.from(points, (p) => p[0]);
  const vs = Float64Array.from(points, (p) => p[1]);
  const mask = new Uint8Array(na * nb);
  const xs = new Float64Array(n);
  const vMin = Math.max(0, Math.ceil(Math.min(...vs)));
  const vMax = Math.min(nb - 1, Math.floor(Math.max(...vs)));
  for (let b = vMin; b <= vMax; b++) {
    let m = 0;
    for (let k = 0; k < n; k++) {
      const k1 = k + 1 === n ? 0 : k + 1;
      const v0 = vs[k]!;
      const v1 = vs[k1]!;
      // Half-open in v: an edge counts at its lower end, not its upper one (vertices on the row count once).
      if (v0 <= b !== v1 <= b) xs[m++] = us[k]! + ((b - v0) * (us[k1]! - us[k]!)) / (v1 - v0);
    }
    const row = xs.subarray(0, m).sort();
    for (let e = 0; e + 1 < m; e += 2) {
      const from = Math.max(0, Math.ceil(row[e]!));
      // Half-open in u: a centre exactly on the right edge is outside.
      const to = Math.min(na, Math.ceil(row[e + 1]!));
      for (let a = from; a < to; a++) mask[a + na * b] = 1;
    }
  }
  return mask;
}

/** Volume indices the cut covers that pass the filter. */
export function scissors(dims: Dims, f: CandidateFilter, p: ScissorsParams, maxVoxels: number): Uint32Array {
  const first = sliceBox(dims, p.axis, p.slice);
  const mask = polygonMask(first.na, first.nb, p.points);
  const want = p.side === 'inside' ? 1 : 0;
  const out = new IndexList(
    maxVoxels,
    () => `The cut covers more than ${maxVoxels.toLocaleString('en')} voxels; cut on a single slice, or limit it to labelled voxels or a class.`,
  );
  const slices = p.through === 'slice' ? [p.slice] : Array.from({ length: dims[p.axis] }, (_, s) => s);
  for (const s of slices) {
    const box = sliceBox(dims, p.axis, s);
    for (let b = 0; b < box.nb; b++) {
      const row = box.base + b * box.sb;
      for (let a = 0; a < box.na; a++) {
        if (mask[a + box.na * b] !== want) continue;
        const i = row + a * box.sa;
        if (passes(f, i)) out.push(i);
      }
    }
  }
  return out.toArray();
}
