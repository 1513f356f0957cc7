/**
 * The renderer's copy of main's human-edit marks (common/contract HumanEdit: changed, erased),
 * one byte a voxel in a label volume of their own so a slice view draws them like labels. Kept
 * in step with every LabelChange (each carries its voxels' marks after it), so painting, undo,
 * redo, tools and model runs move the overlay with no extra request. The volume is made on the
 * first mark only: a study nobody edited costs nothing.
 */
import { HumanEdit } from '../../../common/contract/segmentation';
import type { LabelClass } from './label-style';
import { LabelVolume } from './label-volume';
import type { Vec3, VoxelAxis } from './orientation';

/** Display of the two marks: magenta where a human drew, cyan where they erased (both far from every organ's hue). */
export const EDIT_CLASSES: readonly LabelClass[] = [
  { index: HumanEdit.changed, name: 'drawn by a human', color: [255, 40, 255] },
  { index: HumanEdit.erased, name: 'erased by a human', color: [0, 235, 255] },
];

/**
 * Write marks of `indices` into `current` (a new volume when there is none yet and a mark is set);
 * returns the volume to keep (null while no voxel was ever marked) and how many marks changed.
 */
export function writeMarks(
  current: LabelVolume | null,
  dims: Vec3,
  axis: VoxelAxis,
  indices: Uint32Array,
  marks: Uint8Array,
): { readonly volume: LabelVolume | null; readonly changed: number } {
  if (!current) {
    if (!marks.some((m) => m !== HumanEdit.none)) return { volume: null, changed: 0 };
    current = new LabelVolume(new Uint8Array(dims[0] * dims[1] * dims[2]), dims, axis);
  }
  return { volume: current, changed: current.write(indices, marks) };
}
