/**
 * Fill between slices, automatically (3D Slicer's "Fill between slices"): every slice along an
 * axis that holds the class is a key slice, and each gap of one or more slices between two key
 * slices is filled by shape-based interpolation (interpolate.ts: background voxels only, nothing
 * removed). No slice numbers to type.
 *
 * Rejected: a class on fewer than two slices, or no gap between its slices (nothing to fill).
 */
import { UserFacingError } from '../../../../common/contract/result.js';
import { sliceBox, type Axis, type Dims } from './grid.js';
import { interpolate } from './interpolate.js';

export interface FillBetweenParams {
  readonly classIndex: number;
  readonly axis: Axis;
  readonly spacing: readonly [number, number, number];
}

/** The key slices: those along `axis` holding a voxel of the class, ascending. */
export function keySlices(dims: Dims, labels: Uint8Array, cls: number, axis: Axis): number[] {
  const out: number[] = [];
  for (let s = 0; s < dims[axis]; s++) {
    const box = sliceBox(dims, axis, s);
    let found = false;
    for (let b = 0; b < box.nb && !found; b++) {
      const row = box.base + b * box.sb;
      for (let a = 0; a < box.na; a++) {
        if (labels[row + a * box.sa] === cls) {
          found = true;
          break;
        }
      }
    }
    if (found) out.push(s);
  }
  return out;
}

/** Volume indices of the background voxels to give the class, over every gap. */
export function fillBetween(dims: Dims, labels: Uint8Array, p: FillBetweenParams, maxVoxels: number): Uint32Array {
  const keys = keySlices(dims, labels, p.classIndex, p.axis);
  const gaps: [number, number][] = [];
  for (let n = 1; n < keys.length; n++) if (keys[n]! - keys[n - 1]! >= 2) gaps.push([keys[n - 1]!, keys[n]!]);
  if (gaps.length === 0) {
    const why = keys.length < 2 ? `is on ${keys.length} slice${keys.length === 1 ? '' : 's'}` : 'has no gap between its slices';
    throw new UserFacingError('invalid-argument', `Fill between slices: class ${p.classIndex} ${why}; label it on two slices with unlabelled slices between them.`);
  }
  const parts = gaps.map(([from, to]) => interpolate(dims, labels, { classIndex: p.classIndex, axis: p.axis, from, to, spacing: p.spacing }, maxVoxels));
  const total = parts.reduce((a, b) => a + b.length, 0);
  if (total > maxVoxels) throw new UserFacingError('invalid-argument', `Filling between slices would set more than ${maxVoxels.toLocaleString('en')} voxels.`);
  const out = new Uint32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
