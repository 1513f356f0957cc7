/**
 * Which voxel axis a view slices along, from the real direction matrix (never assume the file
 * is axial-first), and the camera that shows it in radiological convention.
 */
import type { VolumeMeta } from '../../../electron/contract/volume';

export type Vec3 = [number, number, number];

/** Patient axes in LPS: 0 = x (R→L), 1 = y (A→P), 2 = z (I→S). */
export type PatientAxis = 0 | 1 | 2;

/** The voxel axis (0 = i, 1 = j, 2 = k) whose direction is closest to the patient axis. */
export function voxelAxisAlong(direction: VolumeMeta['direction'], patientAxis: PatientAxis): 0 | 1 | 2 {
  let best: 0 | 1 | 2 = 0;
  let bestDot = -1;
  for (const c of [0, 1, 2] as const) {
    const dot = Math.abs(direction[patientAxis * 3 + c] ?? 0);
    if (dot > bestDot) {
      bestDot = dot;
      best = c;
    }
  }
  return best;
}

/**
 * Axial view, radiological: the viewer looks from the feet toward the head (+z in LPS), with
 * anterior up, so the patient's left is on the screen's right.
 */
export const AXIAL_CAMERA: { directionOfProjection: Vec3; viewUp: Vec3 } = {
  directionOfProjection: [0, 0, 1],
  viewUp: [0, -1, 0],
};
