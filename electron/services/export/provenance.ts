/**
 * Per-class provenance from a label session's state: which classes are untouched model output,
 * which a human corrected, which a human drew from scratch. Read from the final labels, who set
 * each voxel, and the model's proposal under human voxels (`origin`), so a class corrected only
 * by erasing still counts as corrected.
 */
import { Source } from '../labels/label-diff.js';
import type { AlgorithmType } from './segments.js';

export interface ClassProvenance {
  /** Voxels of the class in the final labels. */
  readonly voxels: number;
  /** Voxels where the model proposed the class (kept or since changed by a human). */
  readonly proposed: number;
  /** Voxels a human changed to or away from the class. */
  readonly humanChanged: number;
}

/** Counts per class index 0..255 in one pass over the volume (or one slice of it). */
export function classProvenance(
  labels: Uint8Array,
  source: Uint8Array,
  origin: Uint8Array,
  indices?: Iterable<number>,
): ClassProvenance[] {
  const voxels = new Float64Array(256);
  const proposed = new Float64Array(256);
  const changed = new Float64Array(256);
  const visit = (i: number): void => {
    const l = labels[i]!;
    voxels[l]!++;
    const s = source[i]!;
    if (s === Source.auto) proposed[l]!++;
    else if (s === Source.human) {
      const o = origin[i]!;
      proposed[o]!++;
      if (o !== l) {
        changed[o]!++;
        changed[l]!++;
      }
    }
  };
  if (indices) for (const i of indices) visit(i);
  else for (let i = 0; i < labels.length; i++) visit(i);
  return Array.from(voxels, (v, c) => ({ voxels: v, proposed: proposed[c]!, humanChanged: changed[c]! }));
}

/** DICOM SEG's Segment Algorithm Type for a class with this provenance. */
export function algorithmType(p: ClassProvenance): AlgorithmType {
  if (p.proposed === 0) return 'MANUAL';
  return p.humanChanged > 0 ? 'SEMIAUTOMATIC' : 'AUTOMATIC';
}
