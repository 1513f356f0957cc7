/**
 * Brush footprints: the voxels of a disk of a given radius in millimetres, centred on a voxel,
 * in the plane of one slice (the slice's voxel axis held fixed). Spacing is honoured per axis,
 * so a 10 mm brush is round on anisotropic voxels too.
 */
import type { VolumeMeta } from '../../../electron/contract/volume';
import type { Vec3, VoxelAxis } from './orientation';

export function diskIndices(meta: Pick<VolumeMeta, 'dims' | 'spacing'>, sliceAxis: VoxelAxis, centre: Vec3, radiusMm: number): Uint32Array<ArrayBuffer> {
  const [nx, ny] = meta.dims;
  const [u, v] = ([0, 1, 2] as const).filter((a) => a !== sliceAxis) as [VoxelAxis, VoxelAxis];
  const ru = Math.floor(radiusMm / meta.spacing[u]);
  const rv = Math.floor(radiusMm / meta.spacing[v]);
  const out: number[] = [];
  const ijk: [number, number, number] = [centre[0], centre[1], centre[2]];
  for (let dv = -rv; dv <= rv; dv++) {
    for (let du = -ru; du <= ru; du++) {
      if ((du * meta.spacing[u]) ** 2 + (dv * meta.spacing[v]) ** 2 > radiusMm * radiusMm) continue;
      ijk[u] = centre[u] + du;
      ijk[v] = centre[v] + dv;
      if (ijk[u] < 0 || ijk[v] < 0 || ijk[u] >= meta.dims[u] || ijk[v] >= meta.dims[v]) continue;
      out.push(ijk[0] + nx * (ijk[1] + ny * ijk[2]));
    }
  }
  return Uint32Array.from(out);
}

/**
 * After main answered a paint: voxels it did not change (locked classes) go back to what they
 * were before the local, optimistic paint.
 */
export function restoreVetoed(labels: Uint8Array, requested: Uint32Array, before: Uint8Array, applied: Uint32Array): void {
  const changed = new Set(applied);
  requested.forEach((i, n) => {
    if (!changed.has(i)) labels[i] = before[n]!;
  });
}
