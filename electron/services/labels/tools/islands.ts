/**
 * Remove small islands of one class: its face-connected components (6-connected in 3D,
 * 4-connected per slice in 2D) smaller than `minVoxels`, or every component but the largest
 * (per slice in 2D; of equal ones the first met in a, b, c scan order stays). Returns the voxels to erase; only
 * voxels of the class are ever returned.
 *
 * Rejected: an erase larger than `maxVoxels`, a slice outside the volume.
 */
import type { Axis, Dims } from './grid.js';
import { bitset, boxSize, IndexList, indexOf, isWholeVolume, slicesOf, volumeBox } from './grid.js';
import { flood, floodStack, isSeen } from './flood.js';
import { candidateFilter } from './threshold.js';

export interface IslandsParams {
  readonly classIndex: number;
  readonly mode: 'smaller-than' | 'all-but-largest';
  /** Components with fewer voxels are erased (mode smaller-than). */
  readonly minVoxels: number;
  /** 2D: per slice along `axis` (one slice, or all when `slice` is null); null: 3D. */
  readonly plane: { readonly axis: Axis; readonly slice: number | null } | null;
}

/** Volume indices of the class voxels to erase. */
export function islands(dims: Dims, labels: Uint8Array, p: IslandsParams, maxVoxels: number): Uint32Array {
  const boxes = p.plane === null ? [volumeBox(dims)] : slicesOf(dims, p.plane.axis, p.plane.slice);
  const f = candidateFilter(labels, null, { within: p.classIndex });
  const cls = p.classIndex;
  const out = new IndexList(maxVoxels, () => `Removing these islands would erase more than ${maxVoxels.toLocaleString('en')} voxels; work per slice.`);
  const size = boxSize(boxes[0]!);
  const seen = bitset(size);
  const component = new IndexList(size, () => 'unreachable: a component is smaller than its box');
  const stack = floodStack();
  for (const box of boxes) {
    seen.fill(0);
    const whole = isWholeVolume(box);
    let largest = -1;
    let largestSize = 0;
    // Flat loops over the box (no per-voxel callbacks): q local, i volume index.
    for (let c = 0, q = 0; c < box.nc; c++) {
      for (let b = 0; b < box.nb; b++) {
        const row = box.base + b * box.sb + c * box.sc;
        for (let a = 0; a < box.na; a++, q++) {
          if (labels[row + a * box.sa] !== cls || isSeen(seen, q)) continue;
          component.clear();
          const n = flood(box, f, seen, p.mode === 'smaller-than' ? component : null, q, stack);
          if (p.mode === 'smaller-than') {
            if (n < p.minVoxels) for (let m = 0; m < n; m++) out.push(whole ? component.get(m) : indexOf(box, component.get(m)));
          } else if (n > largestSize) {
            largestSize = n;
            largest = q;
          }
        }
      }
    }
    if (p.mode === 'all-but-largest' && largest >= 0) {
      // Flood the largest again on a clean bitset; every other class voxel goes.
      seen.fill(0);
      flood(box, f, seen, null, largest, stack);
      for (let c = 0, q = 0; c < box.nc; c++) {
        for (let b = 0; b < box.nb; b++) {
          const row = box.base + b * box.sb + c * box.sc;
          for (let a = 0; a < box.na; a++, q++) {
            const i = row + a * box.sa;
            if (labels[i] === cls && !isSeen(seen, q)) out.push(i);
          }
        }
      }
    }
  }
  return out.toArray();
}
