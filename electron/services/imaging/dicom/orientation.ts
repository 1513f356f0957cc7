/** Slice orientation as DICOM gives it (ImageOrientationPatient), and its normal. */
import type { Vec3 } from '../volume.js';

/** Six direction cosines: the LPS direction of a row (i), then of a column (j). */
export type Orientation = readonly [number, number, number, number, number, number];

export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Row cosine × column cosine: the slice normal (not normalised). */
export function normal(o: Orientation): Vec3 {
  const [rx, ry, rz, cx, cy, cz] = o;
  return [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
}
