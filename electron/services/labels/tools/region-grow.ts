/**
 * Flood fill / region grow from a clicked voxel: every voxel face-connected to the seed through
 * voxels that pass the filter (intensity in [lo, hi], optionally only voxels of one class so
 * it cannot eat other organs). In 2D it stays in the seed's slice along `axis`
 * (4-connected); in 3D it is 6-connected.
 *
 * Rejected: a seed outside the volume, a seed that does not pass the filter itself (the message
 * says why: its intensity, or its class), and a region that grows past `maxVoxels`: a leak is
 * refused with a message (narrow the range, limit it to background, grow in 2D) rather than
 * silently truncated.
 */
import { UserFacingError } from '../../../../common/contract/result.js';
import { flood } from './flood.js';
import { bitset, boxSize, IndexList, indexOf, planeAxes, sliceBox, volumeBox, type Axis, type Dims } from './grid.js';
import { passes, type CandidateFilter } from './threshold.js';

export interface RegionGrowParams {
  readonly seed: readonly [number, number, number];
  /** Grow within the seed's slice along this axis; null: grow in 3D. */
  readonly axis: Axis | null;
  readonly maxVoxels: number;
}

/** Volume indices of the grown region (in fill order, not sorted). */
export function regionGrow(dims: Dims, f: CandidateFilter, p: RegionGrowParams): Uint32Array {
  const [x, y, z] = p.seed;
  if (![x, y, z].every((v, d) => Number.isInteger(v) && v >= 0 && v < dims[d]!)) {
    throw new UserFacingError('invalid-argument', `The seed voxel (${x}, ${y}, ${z}) is outside the volume (${dims.join('×')}).`);
  }
  const seedIndex = x + dims[0] * (y + dims[1] * z);
  if (!passes(f, seedIndex)) throw new UserFacingError('invalid-argument', whySeedFails(f, seedIndex));

  const box = p.axis === null ? volumeBox(dims) : sliceBox(dims, p.axis, p.seed[p.axis]);
  const [u, v] = p.axis === null ? [0, 1] : planeAxes(p.axis);
  const local = p.axis === null ? seedIndex : p.seed[u]! + box.na * p.seed[v]!;
  const region = new IndexList(
    p.maxVoxels,
    () =>
      `The region grew past ${p.maxVoxels.toLocaleString('en')} voxels and was not applied: it probably leaks ` +
      'into neighbouring tissue. Narrow the intensity range, limit it to background, or grow in 2D.',
  );
  flood(box, f, bitset(boxSize(box)), region, local);
  const out = region.toArray();
  if (p.axis !== null) for (let n = 0; n < out.length; n++) out[n] = indexOf(box, out[n]!);
  return out;
}

function whySeedFails(f: CandidateFilter, i: number): string {
  const l = f.labels[i]!;
  if (f.within >= 0 && l !== f.within) return `The clicked voxel has class ${l}, not ${f.within}; click inside the region to grow.`;
  if (l === f.without) return `The clicked voxel already has class ${l}.`;
  if (f.labelledOnly && l === 0) return 'The clicked voxel has no class; there is nothing to erase there.';
  if (f.classOk[l] === 0) return `The clicked voxel has class ${l}, which the paint-over rule keeps; choose another rule to overwrite it.`;
  const value = f.image?.[i] ?? NaN;
  return `The clicked voxel's intensity (${value}) is outside the range [${f.lo}, ${f.hi}]; click inside the structure or widen the range.`;
}
