/**
 * 3D helpers on one class, in millimetres (3D Slicer's Margin and Smoothing effects): grow or
 * shrink by a distance (exact Euclidean distance transform with the voxel spacing, so a 3 mm
 * margin is 3 mm along every axis of anisotropic voxels), opening and closing (shrink then grow,
 * grow then shrink, by the same radius), and a median (majority vote in an ellipsoid of the
 * radius). Work happens in the class's bounding box grown by the radius, never the whole volume.
 *
 * The result is the class's new mask as two disjoint lists: voxels to add (not of the class now)
 * and voxels to remove (of the class now); the caller applies the paint-over rule and the
 * editable range. Rejected: a class with no voxel (nothing to work on).
 */
import { UserFacingError } from '../../../../common/contract/result.js';
import { squaredEdt3d } from './edt.js';
import type { Dims } from './grid.js';

export interface ClassChange {
  readonly add: Uint32Array;
  readonly remove: Uint32Array;
}

/** A crop of the volume: its lowest corner and size, and the class mask in it. */
interface Crop {
  readonly lo: Dims;
  readonly n: Dims;
  readonly mask: Uint8Array;
}

type Spacing = readonly [number, number, number];

/** The class's bounding box grown by `pad` voxels per axis (clamped to the volume), with its mask. */
export function classCrop(dims: Dims, labels: Uint8Array, cls: number, pad: Dims): Crop {
  const [nx, ny, nz] = dims;
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  for (let k = 0, i = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let x = 0; x < nx; x++, i++) {
        if (labels[i] !== cls) continue;
        if (x < lo[0]!) lo[0] = x;
        if (x > hi[0]!) hi[0] = x;
        if (j < lo[1]!) lo[1] = j;
        if (j > hi[1]!) hi[1] = j;
        if (k < lo[2]!) lo[2] = k;
        if (k > hi[2]!) hi[2] = k;
      }
    }
  }
  if (hi[0]! < 0) throw new UserFacingError('invalid-argument', `Class ${cls} has no voxel to work on.`);
  const a = [0, 1, 2].map((d) => Math.max(0, lo[d]! - pad[d]!)) as unknown as Dims;
  const b = [0, 1, 2].map((d) => Math.min(dims[d]! - 1, hi[d]! + pad[d]!)) as unknown as Dims;
  const n: Dims = [b[0] - a[0] + 1, b[1] - a[1] + 1, b[2] - a[2] + 1];
  const mask = new Uint8Array(n[0] * n[1] * n[2]);
  for (let k = 0, q = 0; k < n[2]; k++) {
    for (let j = 0; j < n[1]; j++) {
      const row = a[0] + nx * (a[1] + j + ny * (a[2] + k));
      for (let x = 0; x < n[0]; x++, q++) mask[q] = labels[row + x] === cls ? 1 : 0;
    }
  }
  return { lo: a, n, mask };
}

/** Voxels within `mm` of the mask (mask included). */
function dilate(mask: Uint8Array, n: Dims, w: Spacing, mm: number): Uint8Array {
  const f = new Float64Array(mask.length);
  for (let q = 0; q < f.length; q++) f[q] = mask[q] ? 0 : Infinity;
  squaredEdt3d(f, n, w);
  const r2 = mm * mm + 1e-9;
  return Uint8Array.from(f, (d) => (d <= r2 ? 1 : 0));
}

/** Voxels of the mask farther than `mm` from any voxel outside it (the crop's border is not outside). */
function erode(mask: Uint8Array, n: Dims, w: Spacing, mm: number): Uint8Array {
  const inv = Uint8Array.from(mask, (m) => 1 - m);
  const grown = dilate(inv, n, w, mm);
  return Uint8Array.from(grown, (g) => 1 - g);
}

/** Majority of the mask in the ellipsoid of radius `mm` around each voxel. */
function median(mask: Uint8Array, n: Dims, w: Spacing, mm: number): Uint8Array {
  const r = w.map((s) => Math.min(3, Math.floor(mm / s))) as unknown as Dims;
  const offsets: [number, number, number][] = [];
  for (let c = -r[2]; c <= r[2]; c++)
    for (let b = -r[1]; b <= r[1]; b++)
      for (let a = -r[0]; a <= r[0]; a++) if ((a * w[0]) ** 2 + (b * w[1]) ** 2 + (c * w[2]) ** 2 <= mm * mm + 1e-9) offsets.push([a, b, c]);
  const out = new Uint8Array(mask.length);
  const [na, nb, nc] = n;
  for (let z = 0, q = 0; z < nc; z++) {
    for (let y = 0; y < nb; y++) {
      for (let x = 0; x < na; x++, q++) {
        let inside = 0;
        let seen = 0;
        for (const [a, b, c] of offsets) {
          const X = x + a;
          const Y = y + b;
          const Z = z + c;
          if (X < 0 || Y < 0 || Z < 0 || X >= na || Y >= nb || Z >= nc) continue;
          seen++;
          inside += mask[X + na * (Y + nb * Z)]!;
        }
        out[q] = 2 * inside > seen ? 1 : 0;
      }
    }
  }
  return out;
}

/** The changes that turn the crop's mask into `next`, as volume indices. */
function changes(dims: Dims, crop: Crop, next: Uint8Array): ClassChange {
  const add: number[] = [];
  const remove: number[] = [];
  const [nx, ny] = dims;
  const { lo, n, mask } = crop;
  for (let k = 0, q = 0; k < n[2]; k++) {
    for (let j = 0; j < n[1]; j++) {
      const row = lo[0] + nx * (lo[1] + j + ny * (lo[2] + k));
      for (let x = 0; x < n[0]; x++, q++) {
        if (next[q] === mask[q]) continue;
        (next[q] ? add : remove).push(row + x);
      }
    }
  }
  return { add: Uint32Array.from(add), remove: Uint32Array.from(remove) };
}

const padFor = (w: Spacing, mm: number): Dims => [Math.ceil(mm / w[0]) + 1, Math.ceil(mm / w[1]) + 1, Math.ceil(mm / w[2]) + 1];

/** Grow (mm > 0) or shrink (mm < 0) a class by a distance in mm. */
export function margin(dims: Dims, spacing: Spacing, labels: Uint8Array, cls: number, mm: number): ClassChange {
  const crop = classCrop(dims, labels, cls, padFor(spacing, Math.abs(mm)));
  const next = mm > 0 ? dilate(crop.mask, crop.n, spacing, mm) : erode(crop.mask, crop.n, spacing, -mm);
  return changes(dims, crop, next);
}

/** Smooth a class: median, opening or closing with an ellipsoid of `radiusMm`. */
export function smooth(dims: Dims, spacing: Spacing, labels: Uint8Array, cls: number, method: 'median' | 'opening' | 'closing', radiusMm: number): ClassChange {
  // Closing grows first: the crop needs room for the grown shape.
  const crop = classCrop(dims, labels, cls, padFor(spacing, 2 * radiusMm));
  const { mask, n } = crop;
  let next: Uint8Array;
  if (method === 'median') next = median(mask, n, spacing, radiusMm);
  else if (method === 'opening') next = dilate(erode(mask, n, spacing, radiusMm), n, spacing, radiusMm);
  else next = erode(dilate(mask, n, spacing, radiusMm), n, spacing, radiusMm);
  return changes(dims, crop, next);
}
