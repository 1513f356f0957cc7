/**
 * The linked crosshair: the three slice views meet in one voxel, since each voxel axis is
 * stepped through by the view that slices along it. Clicking a voxel in one view moves the other
 * views to the slices through it. An axis no view slices along (a strongly oblique volume, where
 * two views pick the same axis) sits at its middle.
 */
import type { VolumeMeta } from '../../../common/contract/volume';
import { PLANES, viewGeometry, type Plane, type Vec3 } from './orientation';

type Meta = Pick<VolumeMeta, 'dims' | 'direction'>;

/** The voxel where the current slices of the three views cross. */
export function crosshairIndex(meta: Meta, slices: Readonly<Record<Plane, number>>): Vec3 {
  const ijk: [number, number, number] = [(meta.dims[0] - 1) / 2, (meta.dims[1] - 1) / 2, (meta.dims[2] - 1) / 2].map(Math.floor) as [
    number,
    number,
    number,
  ];
  for (const plane of PLANES) ijk[viewGeometry(meta.direction, plane).sliceAxis] = slices[plane];
  return ijk;
}

/** The slice of each view other than `from` that passes through `ijk`, clamped into the volume. */
export function slicesThrough(meta: Meta, ijk: Vec3, from: Plane): Partial<Record<Plane, number>> {
  const out: Partial<Record<Plane, number>> = {};
  for (const plane of PLANES) {
    if (plane === from) continue;
    const axis = viewGeometry(meta.direction, plane).sliceAxis;
    out[plane] = Math.min(meta.dims[axis] - 1, Math.max(0, Math.round(ijk[axis])));
  }
  return out;
}
