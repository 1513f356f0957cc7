/** The eight Synapse organs the demo model segments, from TotalSegmentator's reference labels. */
import type { VoxelArray } from '../common/contract/volume.js';
import type { Geometry } from '../electron/services/imaging/volume.js';
import { sliceFrame } from '../electron/services/preprocessing/slice-frame.js';

/** TotalSegmentator `total` index → demo model class (shared/data README). */
export const TOTAL_TO_MODEL: Readonly<Record<number, number>> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 52: 7, 7: 8 };

/** A `total` label map as the demo model's classes (everything else background). */
export function toModelClasses(total: VoxelArray): Uint8Array {
  return Uint8Array.from(total, (v) => TOTAL_TO_MODEL[v] ?? 0);
}

/**
 * A `total` reference label volume carried onto `target`'s voxel grid as model classes. The two
 * may store the same patient grid in another voxel order (the DICOM series runs its rows the
 * other way from its NIfTI labels); both are read through the same patient-oriented frame.
 */
export function referenceOnGrid(target: Geometry, reference: Geometry & { readonly voxels: VoxelArray }): Uint8Array {
  const o = { columns: 'R', rows: 'A' } as const;
  const ft = sliceFrame(target, o);
  const fr = sliceFrame(reference, o);
  if (ft.width !== fr.width || ft.height !== fr.height || ft.depth !== fr.depth) throw new Error('reference and target grids differ');
  const out = new Uint8Array(target.dims[0] * target.dims[1] * target.dims[2]);
  for (let z = 0; z < ft.depth; z++) {
    for (let r = 0; r < ft.height; r++) {
      for (let c = 0; c < ft.width; c++) {
        const v = reference.voxels[fr.origin + z * fr.sliceStep + r * fr.rowStep + c * fr.colStep] as number;
        out[ft.origin + z * ft.sliceStep + r * ft.rowStep + c * ft.colStep] = TOTAL_TO_MODEL[v] ?? 0;
      }
    }
  }
  return out;
}

/** Pooled Dice per class name over the voxels of `slices` (k index), for classes the reference has there. */
export function dicePerClass(
  labels: Uint8Array,
  reference: Uint8Array,
  dims: readonly [number, number, number],
  slices: readonly number[],
  classes: readonly { readonly index: number; readonly name: string }[],
): Record<string, number> {
  const per = dims[0] * dims[1];
  const inter = new Float64Array(256);
  const ours = new Float64Array(256);
  const theirs = new Float64Array(256);
  for (const z of slices) {
    for (let i = z * per; i < (z + 1) * per; i++) {
      const a = labels[i]!;
      const b = reference[i]!;
      ours[a]!++;
      theirs[b]!++;
      if (a === b) inter[a]!++;
    }
  }
  const out: Record<string, number> = {};
  for (const c of classes) {
    if (c.index > 0 && theirs[c.index]! > 0) out[c.name] = (2 * inter[c.index]!) / (ours[c.index]! + theirs[c.index]!);
  }
  return out;
}

export const meanOf = (d: Record<string, number>): number => {
  const v = Object.values(d);
  return v.length === 0 ? 0 : v.reduce((a, b) => a + b, 0) / v.length;
};
