/**
 * Voxel helpers of the renderer: the direction as vtk.js takes it and the voxel under an index.
 * Index ↔ patient conversions are common/geometry.ts's, shared with main.
 */
import type { Vec3 } from '../../../common/geometry';
import type { VolumeMeta, VoxelArray } from '../../../common/contract/volume';

/**
 * The direction as vtk.js's ImageData takes it: column-major, each axis's LPS unit vector
 * contiguous (ours is row-major with the axes as columns, ITK's way). Symmetric matrices (most
 * axial series) hide the difference; an oblique series would be placed wrongly without it.
 */
export function vtkDirection(direction: VolumeMeta['direction']): number[] {
  const d = direction;
  return [d[0], d[3], d[6], d[1], d[4], d[7], d[2], d[5], d[8]];
}

/** The voxel at an integer index, or null outside the volume. */
export function voxelAt(meta: Pick<VolumeMeta, 'dims'>, voxels: VoxelArray, ijk: Vec3): number | null {
  const [nx, ny, nz] = meta.dims;
  const [i, j, k] = ijk;
  if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return null;
  return voxels[i + nx * (j + ny * k)] ?? null;
}
