/**
 * Voxel index ↔ patient (LPS, mm) for a volume: p = origin + D · (spacing ⊙ ijk). The inverse
 * uses a general 3×3 inverse, since sheared (gantry-tilt) direction matrices are not orthonormal.
 */
import type { VolumeMeta, VoxelArray } from '../../../common/contract/volume';
import type { Vec3 } from './orientation';

type Geometry = Pick<VolumeMeta, 'origin' | 'spacing' | 'direction'>;

/**
 * The direction as vtk.js's ImageData takes it: column-major, each axis's LPS unit vector
 * contiguous (ours is row-major with the axes as columns, ITK's way). Symmetric matrices (most
 * axial series) hide the difference; an oblique series would be placed wrongly without it.
 */
export function vtkDirection(direction: VolumeMeta['direction']): number[] {
  const d = direction;
  return [d[0], d[3], d[6], d[1], d[4], d[7], d[2], d[5], d[8]];
}

export function indexToWorld(g: Geometry, ijk: Vec3): Vec3 {
  const s = [ijk[0] * g.spacing[0], ijk[1] * g.spacing[1], ijk[2] * g.spacing[2]];
  const d = g.direction;
  const row = (r: number): number => g.origin[r as 0 | 1 | 2] + d[r * 3]! * s[0]! + d[r * 3 + 1]! * s[1]! + d[r * 3 + 2]! * s[2]!;
  return [row(0), row(1), row(2)];
}

/** Continuous voxel coordinates of a patient point (not rounded). */
export function worldToIndex(g: Geometry, p: Vec3): Vec3 {
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
  const v = [p[0] - g.origin[0], p[1] - g.origin[1], p[2] - g.origin[2]];
  const m = (r: number): number => inv[r * 3]! * v[0]! + inv[r * 3 + 1]! * v[1]! + inv[r * 3 + 2]! * v[2]!;
  return [m(0) / g.spacing[0], m(1) / g.spacing[1], m(2) / g.spacing[2]];
}

/** The voxel at an integer index, or null outside the volume. */
export function voxelAt(meta: Pick<VolumeMeta, 'dims'>, voxels: VoxelArray, ijk: Vec3): number | null {
  const [nx, ny, nz] = meta.dims;
  const [i, j, k] = ijk;
  if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return null;
  return voxels[i + nx * (j + ny * k)] ?? null;
}
