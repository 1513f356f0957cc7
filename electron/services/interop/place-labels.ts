/**
 * Put a label map onto a volume: on the volume's own lattice in any voxel order it is reoriented
 * exactly (reorient-labels); on another grid of the same frame of reference that overlaps the
 * volume it is resampled by nearest label, with a warning giving both grids; a map that does not
 * overlap the volume at all is refused with both grids' extents.
 */
import { indexToPatient, patientToIndex, type Vec3 } from '../../../common/geometry.js';
import type { Geometry } from '../imaging/volume.js';
import { LabelGridError, reorientLabels } from './reorient-labels.js';

export interface PlacedLabels {
  /** Label values in the volume's voxel order (0 where the map does not reach). */
  readonly voxels: Uint8Array;
  readonly how: 'same' | 'reoriented' | 'resampled';
  readonly warnings: string[];
}

const mm = (v: readonly number[], d = 3): string => v.map((x) => x.toFixed(d)).join('×');
const grid = (g: Geometry): string => `${g.dims.join('×')} voxels of ${mm(g.spacing)} mm from ${g.origin.map((o) => o.toFixed(1)).join(', ')}`;

/** The patient-space bounding box of a grid's voxel boxes (corners at ±half a voxel). */
function extent(g: Geometry): { min: number[]; max: number[] } {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let c = 0; c < 8; c++) {
    const ijk: Vec3 = [c & 1 ? g.dims[0] - 0.5 : -0.5, c & 2 ? g.dims[1] - 0.5 : -0.5, c & 4 ? g.dims[2] - 0.5 : -0.5];
    const p = indexToPatient(g, ijk);
    for (const r of [0, 1, 2] as const) {
      min[r] = Math.min(min[r], p[r]);
      max[r] = Math.max(max[r], p[r]);
    }
  }
  return { min, max };
}

const box = (e: { min: number[]; max: number[] }): string => [0, 1, 2].map((r) => `${'xyz'[r]} ${e.min[r]!.toFixed(1)}…${e.max[r]!.toFixed(1)}`).join(', ');

/**
 * Nearest-label resampling: each volume voxel takes the label of the label voxel its centre
 * falls in; centres outside the label grid get 0. Returns the count of centres inside.
 */
export function resampleNearest(vol: Geometry, lab: Geometry, voxels: ArrayLike<number>): { voxels: Uint8Array; inside: number } {
  const [nx, ny, nz] = vol.dims;
  const [lx, ly, lz] = lab.dims;
  // Label index of the volume's voxel (0,0,0) and its change per step along each volume axis.
  const o = patientToIndex(lab, indexToPatient(vol, [0, 0, 0]));
  const sub = (a: Vec3): Vec3 => [a[0] - o[0], a[1] - o[1], a[2] - o[2]];
  const di = sub(patientToIndex(lab, indexToPatient(vol, [1, 0, 0])));
  const dj = sub(patientToIndex(lab, indexToPatient(vol, [0, 1, 0])));
  const dk = sub(patientToIndex(lab, indexToPatient(vol, [0, 0, 1])));
  const out = new Uint8Array(nx * ny * nz);
  let n = 0;
  let inside = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let a = o[0] + j * dj[0] + k * dk[0];
      let b = o[1] + j * dj[1] + k * dk[1];
      let c = o[2] + j * dj[2] + k * dk[2];
      for (let i = 0; i < nx; i++, n++, a += di[0], b += di[1], c += di[2]) {
        // Round half up, with a small bias so a centre on a face picks the same voxel on every platform.
        const p = Math.floor(a + 0.5 + 1e-9);
        const q = Math.floor(b + 0.5 + 1e-9);
        const r = Math.floor(c + 0.5 + 1e-9);
        if (p < 0 || q < 0 || r < 0 || p >= lx || q >= ly || r >= lz) continue;
        inside++;
        out[n] = voxels[p + lx * (q + ly * r)]!;
      }
    }
  }
  return { voxels: out, inside };
}

/** The labels on the volume's voxels, or a LabelGridError when they do not overlap it. */
export function placeLabels(vol: Geometry, lab: Geometry, voxels: ArrayLike<number>): PlacedLabels {
  try {
    const r = reorientLabels(vol, lab, voxels);
    return {
      voxels: r.voxels,
      how: r.reoriented ? 'reoriented' : 'same',
      warnings: r.reoriented ? [`The labels were stored in another voxel order (axes permuted or flipped) than the volume; they were put back in the volume's order.`] : [],
    };
  } catch (e) {
    if (!(e instanceof LabelGridError)) throw e;
  }
  const r = resampleNearest(vol, lab, voxels);
  if (r.inside === 0) {
    throw new LabelGridError(
      `The labels (${grid(lab)}; ${box(extent(lab))} mm) do not overlap the volume (${grid(vol)}; ${box(extent(vol))} mm) anywhere.`,
    );
  }
  const total = vol.dims[0] * vol.dims[1] * vol.dims[2];
  const outside = total - r.inside;
  const warnings = [
    `The labels are on another grid (${grid(lab)}) than the volume (${grid(vol)}); they were resampled onto the volume by nearest label${outside > 0 ? `, and ${outside} of its ${total} voxels (${((100 * outside) / total).toFixed(1)}%) lie outside them and are left unlabelled` : ''}.`,
  ];
  return { voxels: r.voxels, how: 'resampled', warnings };
}
