/**
 * "Revert this class on this slice to the model's proposal": the voxels of one slice where a
 * human changed something about the class, i.e. a human set the voxel (source human) and
 * either its label or the proposal under it (`origin`) is the class. Human additions of the
 * class go back to what the model proposed there, human removals of it come back.
 *
 * The session turns these into label = origin, source = auto (none where the proposal was
 * background). Where the model never ran before the edit, the proposal is background, so a
 * revert there erases. Voxels of the slice no human touched are not returned.
 *
 * Rejected: a slice outside the volume.
 */
import { Source } from '../label-diff.js';
import { IndexList, sliceBox, type Axis, type Dims } from './grid.js';

export interface RevertParams {
  readonly classIndex: number;
  readonly axis: Axis;
  readonly slice: number;
}

export function revertIndices(dims: Dims, labels: Uint8Array, source: Uint8Array, origin: Uint8Array, p: RevertParams): Uint32Array {
  const box = sliceBox(dims, p.axis, p.slice);
  const cls = p.classIndex;
  const out = new IndexList(box.na * box.nb, () => 'unreachable: a slice bounds the revert');
  for (let b = 0; b < box.nb; b++) {
    const row = box.base + b * box.sb;
    for (let a = 0; a < box.na; a++) {
      const i = row + a * box.sa;
      if (source[i] === Source.human && (labels[i] === cls || origin[i] === cls)) out.push(i);
    }
  }
  return out.toArray();
}
