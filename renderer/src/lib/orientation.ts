/**
 * How each slice view looks at the volume, from the real direction matrix: which voxel axis it
 * slices along, the camera that shows that plane without foreshortening, and the patient
 * direction letters on the screen edges. Radiological convention: the patient's left on the
 * screen's right in axial and coronal views, anterior to the left in sagittal views.
 */
import { column, cross, dot, scale, voxelAxisAlong, type Mat3, type PatientAxis, type Vec3, type VoxelAxis } from '../../../common/geometry';

export type { PatientAxis, Vec3, VoxelAxis };
export type Plane = 'axial' | 'coronal' | 'sagittal';
export const PLANES: readonly Plane[] = ['axial', 'coronal', 'sagittal'];

/** Row-major 3×3 direction matrix (columns: LPS unit vectors of i, j, k). */
export type Direction = Mat3;

/** Camera of each plane in patient space: direction of projection and view-up (LPS). */
const PRESETS: Readonly<Record<Plane, { axis: PatientAxis; dop: Vec3; up: Vec3 }>> = {
  // From the feet, anterior up.
  axial: { axis: 2, dop: [0, 0, 1], up: [0, -1, 0] },
  // From the front, superior up.
  coronal: { axis: 1, dop: [0, 1, 0], up: [0, 0, 1] },
  // From the patient's left, superior up: anterior on the screen's left.
  sagittal: { axis: 0, dop: [-1, 0, 0], up: [0, 0, 1] },
};


/** Patient direction letters of a vector, strongest first; weak components are left out. */
export function directionLetters(v: Vec3): string {
  const names: [string, string][] = [
    ['R', 'L'],
    ['A', 'P'],
    ['I', 'S'],
  ];
  return [0, 1, 2]
    .filter((a) => Math.abs(v[a] as number) > 0.3)
    .sort((a, b) => Math.abs(v[b] as number) - Math.abs(v[a] as number))
    .map((a) => (names[a] as [string, string])[(v[a] as number) > 0 ? 1 : 0])
    .join('');
}

export interface ViewGeometry {
  /** The voxel axis this view steps through. */
  readonly sliceAxis: VoxelAxis;
  /** Camera direction of projection and view-up, along voxel axes so pixels are not resampled. */
  readonly directionOfProjection: Vec3;
  readonly viewUp: Vec3;
  /** Patient letters at the screen edges. */
  readonly letters: { readonly left: string; readonly right: string; readonly top: string; readonly bottom: string };
}

export function viewGeometry(direction: Direction, plane: Plane): ViewGeometry {
  const preset = PRESETS[plane];
  const sliceAxis = voxelAxisAlong(direction, preset.axis);
  const n = column(direction, sliceAxis);
  const dop = scale(n, dot(n, preset.dop) < 0 ? -1 : 1);
  // View-up: the in-plane voxel axis closest to the preset's up, signed to agree with it.
  const inPlane = ([0, 1, 2] as const).filter((c) => c !== sliceAxis).map((c) => column(direction, c));
  const upAxis = inPlane.reduce((a, b) => (Math.abs(dot(b, preset.up)) > Math.abs(dot(a, preset.up)) ? b : a));
  const up = scale(upAxis, dot(upAxis, preset.up) < 0 ? -1 : 1);
  const right = cross(dop, up);
  return {
    sliceAxis,
    directionOfProjection: dop,
    viewUp: up,
    letters: {
      left: directionLetters(scale(right, -1)),
      right: directionLetters(right),
      top: directionLetters(up),
      bottom: directionLetters(scale(up, -1)),
    },
  };
}
