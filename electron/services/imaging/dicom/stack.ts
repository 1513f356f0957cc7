/**
 * The slices of one series into a voxel grid: sort by position projected on the slice normal,
 * take the k spacing from the positions (never from SliceThickness), and check that the stack
 * is a regular grid before anyone draws on it.
 *
 * Invariant: a returned plan maps voxel (i, j, k) to origin + direction · diag(spacing) · (i, j, k)
 * within 1e-3 mm of every slice's ImagePositionPatient.
 *
 * Refused (UserFacingError, saying what was found): missing slices, non-uniform spacing, gantry
 * tilt (sheared stacks), several images at one position (time points, repeats), and slices of
 * which only some have a position. Tolerated with a warning: duplicate copies of one image,
 * single-slice series, images without any position (nominal geometry).
 */
import { UserFacingError } from '../../../../common/contract/result.js';
import type { Mat3, Vec3 } from '../volume.js';
import { dot, normal } from './orientation.js';
import type { SliceRef } from './series.js';

export interface StackPlan {
  /** Slices in k order. */
  readonly slices: readonly SliceRef[];
  readonly dims: Vec3;
  readonly spacing: Vec3;
  readonly origin: Vec3;
  readonly direction: Mat3;
  readonly warnings: readonly string[];
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const len = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
const mm = (x: number): string => `${Number(x.toFixed(3))} mm`;

/** Spacing may vary by this much (relative) and still be one grid: scanners round positions. */
const RELATIVE_TOLERANCE = 0.01;
/** Two slices closer than this along the normal are at the same position. */
const SAME_POSITION_MM = 1e-3;

export function planStack(label: string, input: readonly SliceRef[]): StackPlan {
  const warnings: string[] = [];
  const unique = dropDuplicateCopies(input, warnings);
  const first = unique[0];
  if (!first) throw new UserFacingError('unreadable', `${label} has no images.`);
  const f = first.object.format;
  const ps = first.object.pixelSpacing;
  if (!ps) warnings.push('The images give no pixel spacing; 1 mm is assumed in the image plane.');
  const [sj, si] = ps ?? [1, 1];

  const withPosition = unique.filter((s) => s.geometry.position && s.geometry.orientation);
  if (withPosition.length === 0) {
    warnings.push('The images give no patient position or orientation: the geometry is nominal (identity direction, origin 0); measurements in patient space are not reliable.');
    const sz = first.object.sliceThickness ?? 1;
    return {
      slices: unique,
      dims: [f.columns, f.rows, unique.length],
      spacing: [si, sj, sz],
      origin: [0, 0, 0],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      warnings,
    };
  }
  if (withPosition.length < unique.length) {
    throw new UserFacingError(
      'unreadable',
      `${label}: ${unique.length - withPosition.length} of ${unique.length} images have no position in the patient, so the slices cannot be ordered.`,
    );
  }

  const o = first.geometry.orientation as NonNullable<typeof first.geometry.orientation>;
  const row: Vec3 = [o[0], o[1], o[2]];
  const col: Vec3 = [o[3], o[4], o[5]];
  const nRaw = normal(o);
  const nLen = len(nRaw);
  const n: Vec3 = [nRaw[0] / nLen, nRaw[1] / nLen, nRaw[2] / nLen];
  const along = (s: SliceRef): number => dot(s.geometry.position as Vec3, n);
  const sorted = [...unique].sort((a, b) => along(a) - along(b));
  const d = sorted.map(along);
  const origin = sorted[0]?.geometry.position as Vec3;

  if (sorted.length === 1) {
    const thickness = first.object.sliceThickness;
    warnings.push(`A single slice: its thickness (${thickness === null ? 'not given, 1 mm assumed' : mm(thickness)}) is used as the k spacing.`);
    return { slices: sorted, dims: [f.columns, f.rows, 1], spacing: [si, sj, thickness ?? 1], origin, direction: directionOf(row, col, n), warnings };
  }

  // Several images at one position: more than one volume in the series.
  for (let k = 1; k < d.length; k++) {
    if ((d[k] as number) - (d[k - 1] as number) < SAME_POSITION_MM) {
      const count = d.filter((x) => Math.abs(x - (d[k] as number)) < SAME_POSITION_MM).length;
      throw new UserFacingError(
        'unreadable',
        `${label}: ${count} different images share the slice position ${mm(d[k] as number)} along the slice normal; the series holds more than one volume (time points, echoes or repeats) and cannot be stacked as one.`,
      );
    }
  }

  const gaps = d.slice(1).map((x, k) => x - (d[k] as number));
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] as number;
  const tolerance = Math.max(SAME_POSITION_MM, RELATIVE_TOLERANCE * median);
  gaps.forEach((g, k) => {
    if (Math.abs(g - median) <= tolerance) return;
    const ratio = g / median;
    if (Math.abs(ratio - Math.round(ratio)) * median <= tolerance && Math.round(ratio) >= 2) {
      throw new UserFacingError(
        'unreadable',
        `${label}: slices are missing. After slice ${k + 1} of ${sorted.length} the next one is ${mm(g)} away where the others are ${mm(median)} apart (${Math.round(ratio) - 1} slice(s) missing). Copy the complete series and open it again.`,
      );
    }
    throw new UserFacingError(
      'unreadable',
      `${label}: the slice spacing is not uniform (${mm(Math.min(...gaps))} to ${mm(Math.max(...gaps))}); stacking the slices on one grid would distort the anatomy.`,
    );
  });
  const spacing = ((d[d.length - 1] as number) - (d[0] as number)) / (d.length - 1);
  const spread = Math.max(...gaps.map((g) => Math.abs(g - spacing)));
  if (spread > 0.005) warnings.push(`Slice spacing varies by up to ${mm(spread)} (within tolerance); the mean ${mm(spacing)} is used.`);

  // Gantry tilt: the stack drifts within the slice plane as k grows, so the grid is sheared.
  const last = sorted[sorted.length - 1]?.geometry.position as Vec3;
  const travel = sub(last, origin);
  const inPlane = len(sub(travel, [n[0] * dot(travel, n), n[1] * dot(travel, n), n[2] * dot(travel, n)]));
  if (inPlane > Math.max(0.01, 1e-3 * len(travel))) {
    const degrees = (Math.atan2(inPlane, Math.abs(dot(travel, n))) * 180) / Math.PI;
    throw new UserFacingError(
      'unreadable',
      `${label}: the slices are sheared by ${degrees.toFixed(2)}° (gantry tilt). Opening them on a rectangular grid would misplace anatomy; resample the series first (for example with dcm2niix, which corrects tilt).`,
    );
  }
  const thickness = first.object.sliceThickness;
  if (thickness !== null && Math.abs(thickness - spacing) > 0.01) {
    warnings.push(`Slice thickness ${mm(thickness)} differs from the spacing between slices ${mm(spacing)} (${thickness > spacing ? 'overlapping' : 'gapped'} reconstruction); the spacing is used.`);
  }
  return {
    slices: sorted,
    dims: [f.columns, f.rows, sorted.length],
    spacing: [si, sj, spacing],
    origin,
    direction: directionOf(row, col, n),
    warnings,
  };
}

/** Copies of the same image (same SOP Instance UID and frame) count once. */
function dropDuplicateCopies(slices: readonly SliceRef[], warnings: string[]): SliceRef[] {
  const seen = new Set<string>();
  const out: SliceRef[] = [];
  for (const s of slices) {
    const key = `${s.object.sopInstanceUID}#${s.geometry.frame}`;
    if (s.object.sopInstanceUID && seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  if (out.length < slices.length) warnings.push(`${slices.length - out.length} duplicate copies of the same images were ignored.`);
  return out;
}

/** Columns are the i, j, k axes in LPS: row direction, column direction, slice normal. */
function directionOf(row: Vec3, col: Vec3, n: Vec3): Mat3 {
  return [row[0], col[0], n[0], row[1], col[1], n[1], row[2], col[2], n[2]];
}
