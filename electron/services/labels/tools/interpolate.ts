/**
 * Shape-based interpolation of one class between two slices along an axis (Raya & Udupa 1990;
 * Herman et al. 1992): each end slice's mask becomes a signed distance map (exact Euclidean,
 * in mm using the in-plane spacing), the maps are blended linearly by position, and a slice in
 * between gets the class where the blend is negative. Shapes grow, shrink and split smoothly;
 * intensities are never blended.
 *
 * What is written: only background voxels (class 0) strictly between the two slices. Voxels of
 * other classes are never taken (an interpolated liver must not eat the kidney), and nothing
 * is removed: the class already on those slices stays. A human erase there is background and
 * may be filled: asking for the interpolation is the later, explicit decision. To replace a
 * wrong proposal in between, erase it first (scissors through the slices), then interpolate.
 * Locked classes are kept by the session, as for every edit.
 *
 * Known limit: shapes that do not overlap between the end slices (a structure that moves more
 * than its own width) shrink towards nothing in between, as with any distance-based scheme.
 *
 * Rejected: end slices outside the volume, fewer than one slice between them, an end slice
 * without the class, spacing that is not positive and finite, and more than `maxVoxels` to set.
 */
import { UserFacingError } from '../../../../common/contract/result.js';
import { signedDistance } from './edt.js';
import { IndexList, planeAxes, sliceBox, type Axis, type Box, type Dims } from './grid.js';

export interface InterpolateParams {
  readonly classIndex: number;
  readonly axis: Axis;
  /** End slices, from < to − 1; both must contain the class. */
  readonly from: number;
  readonly to: number;
  /** Voxel size along i, j, k (mm); the in-plane pair scales the distance maps. */
  readonly spacing: readonly [number, number, number];
}

/** Volume indices of the background voxels between the two slices to give the class. */
export function interpolate(dims: Dims, labels: Uint8Array, p: InterpolateParams, maxVoxels: number): Uint32Array {
  const cls = p.classIndex;
  const first = sliceBox(dims, p.axis, p.from);
  const last = sliceBox(dims, p.axis, p.to);
  if (p.to - p.from < 2) {
    throw new UserFacingError('invalid-argument', `There is no slice between slices ${p.from} and ${p.to}; pick two slices further apart.`);
  }
  const [u, v] = planeAxes(p.axis);
  const wa = p.spacing[u];
  const wb = p.spacing[v];
  if (!(wa > 0 && wb > 0 && Number.isFinite(wa) && Number.isFinite(wb))) throw new Error(`bad in-plane spacing ${wa} × ${wb}`);
  const d0 = signedDistance(classMask(first, labels, cls, p.from), first.na, first.nb, wa, wb);
  const d1 = signedDistance(classMask(last, labels, cls, p.to), first.na, first.nb, wa, wb);
  const out = new IndexList(maxVoxels, () => `The interpolation would set more than ${maxVoxels.toLocaleString('en')} voxels; pick slices closer together.`);
  for (let s = p.from + 1; s < p.to; s++) {
    const t = (s - p.from) / (p.to - p.from);
    const box = sliceBox(dims, p.axis, s);
    for (let b = 0, q = 0; b < box.nb; b++) {
      const row = box.base + b * box.sb;
      for (let a = 0; a < box.na; a++, q++) {
        const i = row + a * box.sa;
        if (labels[i] === 0 && (1 - t) * d0[q]! + t * d1[q]! < 0) out.push(i);
      }
    }
  }
  return out.toArray();
}

function classMask(box: Box, labels: Uint8Array, cls: number, slice: number): Uint8Array {
  const mask = new Uint8Array(box.na * box.nb);
  let any = false;
  for (let b = 0, q = 0; b < box.nb; b++) {
    const row = box.base + b * box.sb;
    for (let a = 0; a < box.na; a++, q++) {
      if (labels[row + a * box.sa] === cls) {
        mask[q] = 1;
        any = true;
      }
    }
  }
  if (!any) throw new UserFacingError('invalid-argument', `Slice ${slice} has no voxels of class ${cls}; interpolate between two slices that both contain it.`);
  return mask;
}
