/**
 * A label map on the volume's voxel lattice stored in another voxel order (axes permuted and/or
 * flipped, as dcm2niix writes a DICOM series' rows), put back into the volume's order. Each of the
 * volume's axes must match one of the label grid's axes (same step vector, or its opposite, within
 * the tolerance), and every volume voxel centre must be a label voxel centre.
 */
import type { Geometry } from '../imaging/volume.js';

export class LabelGridError extends Error {}

const TOL_MM = 0.01;

const step = (g: Geometry, c: number): number[] => [0, 1, 2].map((r) => g.direction[r * 3 + c]! * g.spacing[c]!);
const dot = (a: readonly number[], b: readonly number[]): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

/**
 * For each volume axis c: the label axis it runs along, the direction (+1/-1) and the label index
 * of the volume's first voxel. Undefined when the grids are not the same lattice.
 */
function lattice(vol: Geometry, lab: Geometry): { axis: number[]; sign: number[]; start: number[] } | undefined {
  const axis: number[] = [];
  const sign: number[] = [];
  for (let c = 0; c < 3; c++) {
    const sv = step(vol, c);
    const found = [0, 1, 2].flatMap((d) => [1, -1].map((s) => [d, s] as const)).find(([d, s]) => {
      const sl = step(lab, d);
      return !axis.includes(d) && lab.dims[d] === vol.dims[c] && [0, 1, 2].every((r) => Math.abs(sv[r]! - s * sl[r]!) * (vol.dims[c]! - 1) <= TOL_MM);
    });
    if (!found) return undefined;
    axis.push(found[0]);
    sign.push(found[1]);
  }
  const delta = [0, 1, 2].map((r) => vol.origin[r]! - lab.origin[r]!);
  const start: number[] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const sl = step(lab, axis[c]!);
    const idx = dot(delta, sl) / dot(sl, sl);
    const expect = sign[c] === 1 ? 0 : vol.dims[c]! - 1;
    if (Math.abs(idx - expect) * Math.sqrt(dot(sl, sl)) > TOL_MM) return undefined;
    start[c] = expect;
  }
  // The axes are matched, so the origins must coincide once the start indices are applied.
  const at = [0, 1, 2].map((r) => lab.origin[r]! + [0, 1, 2].reduce((s, c) => s + step(lab, axis[c]!)[r]! * start[c]!, 0));
  if ([0, 1, 2].some((r) => Math.abs(at[r]! - vol.origin[r]!) > TOL_MM)) return undefined;
  return { axis, sign, start };
}

/** The label values in the volume's voxel order, or a LabelGridError saying why they do not fit. */
export function reorientLabels(vol: Geometry, lab: Geometry, voxels: ArrayLike<number>): { voxels: Uint8Array; reoriented: boolean } {
  const m = lattice(vol, lab);
  if (!m) {
    throw new LabelGridError(
      `The labels (${lab.dims.join('×')} voxels of ${lab.spacing.map((s) => s.toFixed(3)).join('×')} mm from ${lab.origin.map((o) => o.toFixed(1)).join(', ')}) are not on the volume's voxel lattice (${vol.dims.join('×')} of ${vol.spacing.map((s) => s.toFixed(3)).join('×')} mm from ${vol.origin.map((o) => o.toFixed(1)).join(', ')}), in any axis order or direction.`,
    );
  }
  const [nx, ny, nz] = vol.dims as [number, number, number];
  const lstride = [1, lab.dims[0], lab.dims[0] * lab.dims[1]];
  // Label-array offset of one step along each volume axis, and of the volume's first voxel.
  const d = [0, 1, 2].map((c) => m.sign[c]! * lstride[m.axis[c]!]!);
  const base = [0, 1, 2].reduce((s, c) => s + m.start[c]! * lstride[m.axis[c]!]!, 0);
  const out = new Uint8Array(nx * ny * nz);
  let n = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let p = base + k * d[2]! + j * d[1]!;
      for (let i = 0; i < nx; i++, p += d[0]!) out[n++] = voxels[p]!;
    }
  }
  const reoriented = m.axis.some((a, c) => a !== c) || m.sign.some((s) => s !== 1);
  return { voxels: out, reoriented };
}
