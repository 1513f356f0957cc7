/**
 * Voxel grids in the patient frame, shared by main and the renderer: the vector types, voxel
 * index ↔ patient (LPS, mm), and which voxel axis runs along which patient axis. One module, so
 * the views, the model's slice frame and the label tools can never disagree about "axial".
 */

export type Vec3 = readonly [number, number, number];
/** Voxel counts along i, j, k (i fastest in memory). */
export type Dims = readonly [number, number, number];
/** Row-major 3×3; its columns are the LPS unit vectors of the i, j, k axes (ITK convention). */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];
/** A voxel axis: 0 = i, 1 = j, 2 = k. */
export type VoxelAxis = 0 | 1 | 2;
/** A patient axis in LPS: 0 = x (R→L), 1 = y (A→P), 2 = z (I→S). */
export type PatientAxis = 0 | 1 | 2;

export interface GridGeometry {
  readonly spacing: Vec3;
  /** Patient position of the centre of voxel (0, 0, 0). */
  readonly origin: Vec3;
  readonly direction: Mat3;
}

export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** The LPS direction of a voxel axis (a column of the direction matrix). */
export const column = (d: Mat3, axis: VoxelAxis): Vec3 => [d[axis], d[3 + axis]!, d[6 + axis]!];

/** p = origin + D · (spacing ⊙ ijk); ijk may be fractional. */
export function indexToPatient(g: GridGeometry, ijk: Vec3): Vec3 {
  const s = [ijk[0] * g.spacing[0], ijk[1] * g.spacing[1], ijk[2] * g.spacing[2]] as const;
  const d = g.direction;
  const row = (r: 0 | 1 | 2): number => g.origin[r] + d[r * 3]! * s[0] + d[r * 3 + 1]! * s[1] + d[r * 3 + 2]! * s[2];
  return [row(0), row(1), row(2)];
}

/**
 * Continuous voxel coordinates of a patient point (not rounded). A general 3×3 inverse: sheared
 * (gantry-tilt) direction matrices are not orthonormal.
 */
export function patientToIndex(g: GridGeometry, p: Vec3): Vec3 {
  const [a, b, c, d, e, f, h, i, j] = g.direction;
  const det = a * (e * j - f * i) - b * (d * j - f * h) + c * (d * i - e * h);
  const inv = [
    (e * j - f * i) / det,
    (c * i - b * j) / det,
    (b * f - c * e) / det,
    (f * h - d * j) / det,
    (a * j - c * h) / det,
    (c * d - a * f) / det,
    (d * i - e * h) / det,
    (b * h - a * i) / det,
    (a * e - b * d) / det,
  ];
  const v = [p[0] - g.origin[0], p[1] - g.origin[1], p[2] - g.origin[2]] as const;
  const m = (r: number): number => inv[r * 3]! * v[0] + inv[r * 3 + 1]! * v[1] + inv[r * 3 + 2]! * v[2];
  return [m(0) / g.spacing[0], m(1) / g.spacing[1], m(2) / g.spacing[2]];
}

const PERMUTATIONS: readonly (readonly [VoxelAxis, VoxelAxis, VoxelAxis])[] = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];

/**
 * The voxel axis that runs along each patient axis (x, y, z), as a permutation: the assignment
 * whose axes are, in sum, most nearly parallel to their patient axes. Choosing each patient axis's
 * nearest voxel axis on its own can pick one voxel axis twice past 45° of obliquity; this cannot,
 * so the axial, coronal and sagittal planes are always three different voxel axes.
 */
export function axisPermutation(direction: Mat3): readonly [VoxelAxis, VoxelAxis, VoxelAxis] {
  let best = PERMUTATIONS[0]!;
  let bestScore = -1;
  for (const p of PERMUTATIONS) {
    const score = Math.abs(direction[p[0]]) + Math.abs(direction[3 + p[1]]!) + Math.abs(direction[6 + p[2]]!);
    // Strictly greater: ties keep the earlier (identity-first) permutation, so results are stable.
    if (score > bestScore + 1e-12) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}

/** The voxel axis along a patient axis (see `axisPermutation`). */
export const voxelAxisAlong = (direction: Mat3, patientAxis: PatientAxis): VoxelAxis => axisPermutation(direction)[patientAxis];

/** The voxel axis axial slices are taken along: the one along the patient's z. */
export const axialAxis = (direction: Mat3): VoxelAxis => voxelAxisAlong(direction, 2);
