/**
 * Slices as the model was trained to see them. A card states which way the model's columns and
 * rows run in the patient (e.g. columns toward R, rows toward A); any volume, whatever its voxel
 * order and axis signs, is read into that frame and the labels are written back through the
 * same mapping, so a model never sees a mirrored or transposed patient.
 */
import type { PatientDirection } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { voxelAxisAlong } from '../../../common/geometry.js';
import type { Geometry } from '../imaging/volume.js';

/** Patient axis (LPS: 0 = x, 1 = y, 2 = z) and sign of each direction letter. */
const LETTERS: Readonly<Record<PatientDirection, readonly [0 | 1 | 2, 1 | -1]>> = {
  L: [0, 1],
  R: [0, -1],
  P: [1, 1],
  A: [1, -1],
  S: [2, 1],
  I: [2, -1],
};

export interface SliceFrame {
  /** Pixels per row and rows per slice in the model frame, and how many slices. */
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  /** Voxel-array offset of pixel (0, 0) of slice 0, and the steps per column, row and slice. */
  readonly origin: number;
  readonly colStep: number;
  readonly rowStep: number;
  readonly sliceStep: number;
  /** The voxel axis slices are taken along (0 = i, 1 = j, 2 = k). */
  readonly sliceAxis: 0 | 1 | 2;
}

/** The voxel axis along a patient direction (common/geometry's one assignment), and whether it runs the other way. */
function axisFor(g: Geometry, letter: PatientDirection): { axis: 0 | 1 | 2; flip: boolean } {
  const [p, sign] = LETTERS[letter];
  const axis = voxelAxisAlong(g.direction, p);
  return { axis, flip: Math.sign(g.direction[p * 3 + axis]!) !== sign };
}

export function sliceFrame(g: Geometry, orientation: { columns: PatientDirection; rows: PatientDirection }): SliceFrame {
  const col = axisFor(g, orientation.columns);
  const row = axisFor(g, orientation.rows);
  if (col.axis === row.axis) {
    throw new UserFacingError(
      'unreadable',
      `This volume's orientation cannot be shown to the model as columns ${orientation.columns}, rows ${orientation.rows}.`,
    );
  }
  const sliceAxis = (3 - col.axis - row.axis) as 0 | 1 | 2;
  const strides = [1, g.dims[0], g.dims[0] * g.dims[1]] as const;
  const width = g.dims[col.axis];
  const height = g.dims[row.axis];
  return {
    width,
    height,
    depth: g.dims[sliceAxis],
    origin: (col.flip ? (width - 1) * strides[col.axis] : 0) + (row.flip ? (height - 1) * strides[row.axis] : 0),
    colStep: col.flip ? -strides[col.axis] : strides[col.axis],
    rowStep: row.flip ? -strides[row.axis] : strides[row.axis],
    sliceStep: strides[sliceAxis],
    sliceAxis,
  };
}

/** Copy slice `z` into `out` (row-major, width × height) in the model frame. */
export function readSlice(f: SliceFrame, voxels: ArrayLike<number>, z: number, out: Float32Array): Float32Array {
  let o = 0;
  for (let r = 0; r < f.height; r++) {
    let at = f.origin + z * f.sliceStep + r * f.rowStep;
    for (let c = 0; c < f.width; c++, at += f.colStep) out[o++] = voxels[at] as number;
  }
  return out;
}

/** Write a model-frame slice (row-major, width × height) back into the volume's own voxel order. */
export function writeSlice(f: SliceFrame, target: Uint8Array, z: number, slice: ArrayLike<number>): void {
  let o = 0;
  for (let r = 0; r < f.height; r++) {
    let at = f.origin + z * f.sliceStep + r * f.rowStep;
    for (let c = 0; c < f.width; c++, at += f.colStep) target[at] = slice[o++] as number;
  }
}
