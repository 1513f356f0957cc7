/**
 * Logical operators between two classes of one label volume (3D Slicer's Logical operators
 * effect). A voxel holds one class, so the other operand is the other class's region: its
 * voxels and the voxels they enclose in 3D (not face-connected to the outside of its bounding
 * box through voxels of other classes), e.g. the liver's region holds a lesion labelled inside it.
 *
 * - union: the other class's voxels join this class (the other class gives them up);
 * - subtract: this class's voxels in the other's region are erased;
 * - intersect: this class's voxels outside the other's region are erased.
 *
 * Pure: returns the voxels to add to and to remove from the class. Rejected: an other class
 * with no voxel (there is no region to combine with).
 */
import { classCrop, type ClassChange } from './morphology.js';
import type { Dims } from './grid.js';

/** A flag per volume voxel: 1 inside the class's region (its voxels and what they enclose). */
export function classRegion(dims: Dims, labels: Uint8Array, cls: number): Uint8Array {
  const { lo, n, mask } = classCrop(dims, labels, cls, [1, 1, 1]);
  const [na, nb, nc] = n;
  // Flood the crop's border through voxels not of the class: what it reaches is outside.
  const outside = new Uint8Array(mask.length);
  const stack: number[] = [];
  const push = (q: number): void => {
    if (mask[q] === 0 && outside[q] === 0) {
      outside[q] = 1;
      stack.push(q);
    }
  };
  for (let c = 0; c < nc; c++)
    for (let b = 0; b < nb; b++)
      for (let a = 0; a < na; a++) if (a === 0 || b === 0 || c === 0 || a === na - 1 || b === nb - 1 || c === nc - 1) push(a + na * (b + nb * c));
  while (stack.length > 0) {
    const q = stack.pop()!;
    const a = q % na;
    const b = Math.floor(q / na) % nb;
    const c = Math.floor(q / (na * nb));
    if (a > 0) push(q - 1);
    if (a < na - 1) push(q + 1);
    if (b > 0) push(q - na);
    if (b < nb - 1) push(q + na);
    if (c > 0) push(q - na * nb);
    if (c < nc - 1) push(q + na * nb);
  }
  const [nx, ny] = dims;
  const region = new Uint8Array(labels.length);
  for (let c = 0, q = 0; c < nc; c++) {
    for (let b = 0; b < nb; b++) {
      const row = lo[0] + nx * (lo[1] + b + ny * (lo[2] + c));
      for (let a = 0; a < na; a++, q++) if (outside[q] === 0) region[row + a] = 1;
    }
  }
  return region;
}

export function logical(dims: Dims, labels: Uint8Array, cls: number, op: 'union' | 'subtract' | 'intersect', other: number): ClassChange {
  const none = new Uint32Array(0);
  if (op === 'union') {
    const add: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === other) add.push(i);
    return { add: Uint32Array.from(add), remove: none };
  }
  const region = classRegion(dims, labels, other);
  const want = op === 'subtract' ? 1 : 0;
  const remove: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] === cls && region[i] === want) remove.push(i);
  return { add: none, remove: Uint32Array.from(remove) };
}
