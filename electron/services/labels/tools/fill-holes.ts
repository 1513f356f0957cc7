/**
 * Fill holes of one class: background voxels enclosed by the class, i.e. not face-connected to
 * the border (of the slice in 2D, of the volume in 3D) through voxels of other classes or
 * none (scipy's binary_fill_holes with its default cross structure). Only background voxels are
 * returned: another organ inside the hole (a vessel in the liver) keeps its class.
 *
 * The flood runs in the class's bounding box grown by one voxel: a voxel on that box's border
 * is outside the class's extent or on the volume's border, so it reaches the outside either way.
 *
 * Rejected: a fill larger than `maxVoxels`, a slice outside the volume.
 */
import { flood, floodStack, isSeen } from './flood.js';
import { bitset, boxSize, IndexList, slicesOf, subBox, volumeBox, type Axis, type Box, type Dims } from './grid.js';
import { candidateFilter } from './threshold.js';

export interface FillHolesParams {
  readonly classIndex: number;
  /** 2D: per slice along `axis` (one slice, or all when `slice` is null); null: 3D. */
  readonly plane: { readonly axis: Axis; readonly slice: number | null } | null;
}

/** Volume indices of the background voxels to give the class. */
export function fillHoles(dims: Dims, labels: Uint8Array, p: FillHolesParams, maxVoxels: number): Uint32Array {
  const cls = p.classIndex;
  const flat = p.plane !== null;
  const boxes = flat ? slicesOf(dims, p.plane.axis, p.plane.slice) : [volumeBox(dims)];
  const f = candidateFilter(labels, null, { without: cls });
  const out = new IndexList(maxVoxels, () => `Filling these holes would change more than ${maxVoxels.toLocaleString('en')} voxels; work per slice.`);
  const stack = floodStack();
  for (const whole of boxes) {
    const box = grownBounds(whole, labels, cls, flat);
    if (!box) continue;
    const seen = bitset(boxSize(box));
    // Flood from every passable voxel on the box's border (in 2D the c faces are not a border).
    for (let c = 0, q = 0; c < box.nc; c++) {
      const cFace = !flat && (c === 0 || c === box.nc - 1);
      for (let b = 0; b < box.nb; b++) {
        const bFace = cFace || b === 0 || b === box.nb - 1;
        const row = box.base + b * box.sb + c * box.sc;
        for (let a = 0; a < box.na; a++, q++) {
          if (!(bFace || a === 0 || a === box.na - 1)) continue;
          if (labels[row + a * box.sa] !== cls && !isSeen(seen, q)) flood(box, f, seen, null, q, stack);
        }
      }
    }
    for (let c = 0, q = 0; c < box.nc; c++) {
      for (let b = 0; b < box.nb; b++) {
        const row = box.base + b * box.sb + c * box.sc;
        for (let a = 0; a < box.na; a++, q++) {
          const i = row + a * box.sa;
          if (labels[i] === 0 && !isSeen(seen, q)) out.push(i);
        }
      }
    }
  }
  return out.toArray();
}

/** The class's bounding box in `box`, grown by one voxel and clamped; null when the class is absent. */
function grownBounds(box: Box, labels: Uint8Array, cls: number, flat: boolean): Box | null {
  let a0 = box.na;
  let b0 = box.nb;
  let c0 = box.nc;
  let a1 = -1;
  let b1 = -1;
  let c1 = -1;
  for (let c = 0; c < box.nc; c++) {
    for (let b = 0; b < box.nb; b++) {
      const row = box.base + b * box.sb + c * box.sc;
      for (let a = 0; a < box.na; a++) {
        if (labels[row + a * box.sa] !== cls) continue;
        if (a < a0) a0 = a;
        if (a > a1) a1 = a;
        if (b < b0) b0 = b;
        if (b > b1) b1 = b;
        if (c < c0) c0 = c;
        if (c > c1) c1 = c;
      }
    }
  }
  if (a1 < 0) return null;
  const grow = (lo: number, hi: number, n: number): [number, number] => [Math.max(0, lo - 1), Math.min(n - 1, hi + 1)];
  const [la, ha] = grow(a0, a1, box.na);
  const [lb, hb] = grow(b0, b1, box.nb);
  const [lc, hc] = flat ? [0, 0] : grow(c0, c1, box.nc);
  return subBox(box, [la, lb, lc], [ha, hb, hc]);
}
