/**
 * Brush footprints: the voxels of a disk of a given radius in millimetres, centred on a voxel,
 * in the plane of one slice (the slice's voxel axis held fixed), or of a sphere that reaches the
 * neighbouring slices too. Spacing is honoured per axis, so a 10 mm brush is round on
 * anisotropic voxels too. Voxels outside the volume are left out.
 */
import type { VolumeMeta } from '../../../common/contract/volume';
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

/** A sphere of `radiusMm` around a voxel, through every slice it reaches. */
export function sphereIndices(meta: Pick<VolumeMeta, 'dims' | 'spacing'>, centre: Vec3, radiusMm: number): Uint32Array<ArrayBuffer> {
  const [nx, ny, nz] = meta.dims;
  const [sx, sy, sz] = meta.spacing;
  const [ci, cj, ck] = centre;
  const r2 = radiusMm * radiusMm;
  const out: number[] = [];
  const rk = Math.floor(radiusMm / sz);
  const rj = Math.floor(radiusMm / sy);
  const ri = Math.floor(radiusMm / sx);
  for (let k = Math.max(0, ck - rk); k <= Math.min(nz - 1, ck + rk); k++) {
    const dk = ((k - ck) * sz) ** 2;
    for (let j = Math.max(0, cj - rj); j <= Math.min(ny - 1, cj + rj); j++) {
      const djk = dk + ((j - cj) * sy) ** 2;
      if (djk > r2) continue;
      for (let i = Math.max(0, ci - ri); i <= Math.min(nx - 1, ci + ri); i++) {
        if (djk + ((i - ci) * sx) ** 2 <= r2) out.push(i + nx * (j + ny * k));
      }
    }
  }
  return Uint32Array.from(out);
}

export type BrushShape = 'disk' | 'sphere';

/** The footprint strategy of each brush shape: which voxels a dab at `centre` covers. */
export const FOOTPRINTS: Readonly<
  Record<BrushShape, (meta: Pick<VolumeMeta, 'dims' | 'spacing'>, sliceAxis: VoxelAxis, centre: Vec3, radiusMm: number) => Uint32Array<ArrayBuffer>>
> = {
  disk: diskIndices,
  sphere: (meta, _sliceAxis, centre, radiusMm) => sphereIndices(meta, centre, radiusMm),
};

/**
 * After main answered a paint: the voxels it did not change (locked classes), with what they
 * held before the local, optimistic paint, to be written back.
 */
export function vetoed(requested: Uint32Array, before: Uint8Array, applied: Uint32Array): { indices: Uint32Array; values: Uint8Array } {
  const changed = new Set(applied);
  const indices: number[] = [];
  const values: number[] = [];
  requested.forEach((i, n) => {
    if (changed.has(i)) return;
    indices.push(i);
    values.push(before[n]!);
  });
  return { indices: Uint32Array.from(indices), values: Uint8Array.from(values) };
}
