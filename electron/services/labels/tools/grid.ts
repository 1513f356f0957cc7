/**
 * Grid addressing shared by the correction tools: boxes of voxels inside a label volume and a
 * growable list of voxel indices with a hard cap.
 *
 * Volume index = i + nx·(j + ny·k). A slice along `axis` is addressed by plane coordinates
 * (u, v): the two other axes in i, j, k order (axis 0: u = j, v = k; axis 1: u = i, v = k;
 * axis 2: u = i, v = j), the same order LabelSession walks a slice in.
 *
 * Invariant: a Box only addresses voxels inside the volume it was made from; a slice outside
 * the volume is rejected with a message naming the slice count.
 */
import { UserFacingError } from '../../../../common/contract/result.js';

import type { Dims, VoxelAxis as Axis } from '../../../../common/geometry.js';

export type { Axis, Dims };

/**
 * A box of voxels of the volume: local (a, b, c) with 0 ≤ a < na … maps to volume index
 * base + a·sa + b·sb + c·sc; local index p = a + na·(b + nb·c). A slice is a box with nc = 1,
 * so the same flood fills serve 2D (4-connected) and 3D (6-connected).
 */
export interface Box {
  readonly na: number;
  readonly nb: number;
  readonly nc: number;
  readonly base: number;
  readonly sa: number;
  readonly sb: number;
  readonly sc: number;
}

export const boxSize = (b: Box): number => b.na * b.nb * b.nc;

export function volumeBox(dims: Dims): Box {
  const [nx, ny, nz] = dims;
  return { na: nx, nb: ny, nc: nz, base: 0, sa: 1, sb: nx, sc: nx * ny };
}

/** The in-plane axes of a slice along `axis`, in i, j, k order. */
export function planeAxes(axis: Axis): readonly [Axis, Axis] {
  return axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
}

const strideOf = (dims: Dims, axis: Axis): number => (axis === 0 ? 1 : axis === 1 ? dims[0] : dims[0] * dims[1]);

/** Slice `slice` along `axis`, as a box with a = u, b = v, nc = 1. */
export function sliceBox(dims: Dims, axis: Axis, slice: number): Box {
  if (!Number.isInteger(slice) || slice < 0 || slice >= dims[axis]) {
    throw new UserFacingError('invalid-argument', `Slice ${slice} is outside the volume (${dims[axis]} slices along axis ${axis}).`);
  }
  const [u, v] = planeAxes(axis);
  return { na: dims[u], nb: dims[v], nc: 1, base: slice * strideOf(dims, axis), sa: strideOf(dims, u), sb: strideOf(dims, v), sc: 0 };
}

/** The part of `box` from local corner `lo` to `hi` inclusive (both already inside it). */
export function subBox(box: Box, lo: Dims, hi: Dims): Box {
  return {
    na: hi[0] - lo[0] + 1,
    nb: hi[1] - lo[1] + 1,
    nc: hi[2] - lo[2] + 1,
    base: box.base + lo[0] * box.sa + lo[1] * box.sb + lo[2] * box.sc,
    sa: box.sa,
    sb: box.sb,
    sc: box.sc,
  };
}

/** True when local and volume indices coincide (the whole volume). */
export const isWholeVolume = (b: Box): boolean => b.base === 0 && b.sa === 1 && b.sb === b.na && b.sc === b.na * b.nb;

/** The slices a 2D tool works on: one, or every slice along the axis. */
export function slicesOf(dims: Dims, axis: Axis, slice: number | null): Box[] {
  if (slice !== null) return [sliceBox(dims, axis, slice)];
  return Array.from({ length: dims[axis] }, (_, s) => sliceBox(dims, axis, s));
}

/** Volume index of local index p. */
export function indexOf(box: Box, p: number): number {
  const nab = box.na * box.nb;
  const c = Math.floor(p / nab);
  const r = p - c * nab;
  const b = Math.floor(r / box.na);
  return box.base + (r - b * box.na) * box.sa + b * box.sb + c * box.sc;
}

/** One bit per voxel of a box: 1/8 of a byte mask, so a 512×512×300 flood costs 10 MB, not 79. */
export const bitset = (size: number): Uint32Array => new Uint32Array((size + 31) >>> 5);

/**
 * Voxel indices appended one at a time into a typed array that doubles as needed; appending
 * past `max` throws `tooMany()` (a message that tells the user how to make the edit smaller).
 */
export class IndexList {
  #a: Uint32Array;
  #n = 0;

  constructor(
    private readonly max: number,
    private readonly tooMany: () => string,
    initial = 1024,
  ) {
    this.#a = new Uint32Array(Math.max(16, Math.min(initial, max)));
  }

  get length(): number {
    return this.#n;
  }

  /** The n-th index (n < length; not checked: this is the flood's inner loop). */
  get(n: number): number {
    return this.#a[n]!;
  }

  clear(): void {
    this.#n = 0;
  }

  /** Remove and return the last index (length > 0; not checked). */
  pop(): number {
    return this.#a[--this.#n]!;
  }

  push(i: number): void {
    if (this.#n >= this.max) throw new UserFacingError('invalid-argument', this.tooMany());
    if (this.#n === this.#a.length) {
      const grown = new Uint32Array(Math.min(this.max, this.#a.length * 2));
      grown.set(this.#a);
      this.#a = grown;
    }
    this.#a[this.#n++] = i;
  }

  /** The indices, trimmed to their count (a copy, so the spare capacity is freed). */
  toArray(): Uint32Array {
    return this.#a.slice(0, this.#n);
  }
}

/** Most voxels one tool edit may change; the same bound as `labels.paint`. */
export const MAX_EDIT_VOXELS = 1 << 24;
