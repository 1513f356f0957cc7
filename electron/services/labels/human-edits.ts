/**
 * Where the human's labels differ from the model's proposal (the "human edits" overlay): a voxel
 * a human set (`source` human) whose class is not the proposal kept under it (`origin`). Derived
 * from the label session's own provenance, so it follows every paint, tool, undo, redo, revert
 * and model run without state of its own: a voxel's mark can only change where a step changed
 * its label or source, so a step's diff says everything the renderer needs.
 */
import { HumanEdit } from '../../../common/contract/segmentation.js';
import { Source } from './label-diff.js';

export interface Provenance {
  readonly labels: Uint8Array;
  readonly source: Uint8Array;
  readonly origin: Uint8Array;
}

/** The `HumanEdit` of voxel `i`. */
export function editMark({ labels, source, origin }: Provenance, i: number): HumanEdit {
  if (source[i] !== Source.human || labels[i] === origin[i]) return HumanEdit.none;
  return labels[i] === 0 ? HumanEdit.erased : HumanEdit.changed;
}

/** The marks of `indices` (a step's voxels, after it landed). */
export function editMarksOf(p: Provenance, indices: Uint32Array): Uint8Array {
  const out = new Uint8Array(indices.length);
  for (let n = 0; n < indices.length; n++) out[n] = editMark(p, indices[n]!);
  return out;
}

/** Every marked voxel of the volume, sparse (a pass over the source array; human voxels are few). */
export function humanEdits(p: Provenance): { indices: Uint32Array; marks: Uint8Array } {
  const { source } = p;
  let count = 0;
  for (let i = 0; i < source.length; i++) if (source[i] === Source.human && editMark(p, i) !== HumanEdit.none) count++;
  const indices = new Uint32Array(count);
  const marks = new Uint8Array(count);
  for (let i = 0, n = 0; n < count; i++) {
    if (source[i] !== Source.human) continue;
    const m = editMark(p, i);
    if (m === HumanEdit.none) continue;
    indices[n] = i;
    marks[n++] = m;
  }
  return { indices, marks };
}
