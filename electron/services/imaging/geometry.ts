/**
 * Conversions between a voxel-to-world affine and the (spacing, origin, direction) triple.
 * NIfTI and NRRD files may speak RAS; everything we hand out is LPS, the DICOM patient frame.
 */
import type { Mat3, Vec3 } from './volume.js';

/** A 4×4 affine as rows; maps (i, j, k, 1) to world millimetres. */
export type Affine = readonly (readonly number[])[];

/**
 * Split a RAS affine into LPS geometry. Spacing is the length of each column; a zero-length
 * column (a degenerate file) keeps spacing 1 and the identity direction for that axis.
 */
export function geometryFromRasAffine(affine: Affine): { spacing: Vec3; origin: Vec3; direction: Mat3 } {
  const ras = (r: number, c: number): number => affine[r]?.[c] ?? 0;
  // RAS → LPS: negate x and y.
  const lps = (r: number, c: number): number => (r < 2 ? -ras(r, c) : ras(r, c));
  const spacing = [0, 1, 2].map((c) => Math.hypot(lps(0, c), lps(1, c), lps(2, c))) as [number, number, number];
  const direction: number[] = [];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      const s = spacing[c] as number;
      direction.push(s > 0 ? lps(r, c) / s : r === c ? 1 : 0);
    }
  }
  return {
    spacing: spacing.map((s) => (s > 0 ? s : 1)) as unknown as Vec3,
    origin: [lps(0, 3), lps(1, 3), lps(2, 3)],
    direction: direction as unknown as Mat3,
  };
}
