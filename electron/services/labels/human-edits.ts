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

/** The `HumanEdit` of voxel `i` (editMarksOf and humanEdits inline it: they run over millions). */
export function editMark({ labels, source, origin }: Provenance, i: number): HumanEdit {
  if (source[i] !== Source.human || labels[i] === origin[i]) return HumanEdit.none;
  return labels[i] === 0 ? HumanEdit.erased : HumanEdit.changed;
}

/** The marks of `indices` (a step's voxels, after it landed); a model run's change can hold millions. */
export function editMarksOf({ labels, source, origin }: Provenance, indices: Uint32Array): Uint8Array {
  const out = new Uint8Array(indices.length);
  for (let n = 0; n < indices.length; n++) {
    const i = indices[n]!;
    if (source[i] === Source.human && labels[i] !== origin[i]) out[n] = labels[i] === 0 ? HumanEdit.erased : HumanEdit.changed;
  }
  return out;
}

/** Sources are 0, 1 or 2: a 4-byte word with no bit 1 set holds no human voxel. */
const HUMAN_BITS = 0x02020202;

/**
 * Every marked voxel of the volume, sparse. Runs at every open and `labels.get`: the source is
 * read four voxels a word, and only words holding a human voxel are looked at (a 512×512×300
 * study is 20 M words).
 */
export function humanEdits({ labels, source, origin }: Provenance): { indices: Uint32Array; marks: Uint8Array } {
  const found: number[] = [];
  const aligned = source.byteOffset % 4 === 0;
  const words = aligned ? new Uint32Array(source.buffer, source.byteOffset, source.length >> 2) : new Uint32Array(0);
  const visit = (i: number): void => {
    if (source[i] === Source.human && labels[i] !== origin[i]) found.push(i);
  };
  for (let w = 0; w < words.length; w++) {
    if ((words[w]! & HUMAN_BITS) === 0) continue;
    for (let i = w * 4; i < w * 4 + 4; i++) visit(i);
  }
  for (let i = words.length * 4; i < source.length; i++) visit(i);
  const indices = Uint32Array.from(found);
  return { indices, marks: editMarksOf({ labels, source, origin }, indices) };
}
