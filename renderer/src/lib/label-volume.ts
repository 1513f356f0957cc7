/**
 * The renderer's copy of a label volume with what must follow every edit kept incrementally:
 * voxels per class (the segment list's volumes), voxels per class in each slice along one axis
 * (which slices hold a class: interpolation's suggestion), the voxels touched since the 3D
 * view last looked, and when each slice along each axis last changed (a slice view re-reads
 * its slice only then). On a 512×512×300 study a full pass over the labels takes tens of
 * milliseconds; doing one per brush dab would cost the stroke its frame.
 */
import type { Vec3, VoxelAxis } from './orientation';

/** Touched indices are kept up to this share of the volume; beyond it a full comparison is cheaper. */
const TOUCH_LOG_SHARE = 1 / 8;

export class LabelVolume {
  readonly labels: Uint8Array;
  /** The axis `hasClass` counts slices along. */
  readonly axis: VoxelAxis;
  /** slice × 256 + class → voxels (the volume's counts are their sums) */
  readonly #perSlice: Uint32Array;
  readonly #sliceOf: (i: number) => number;
  #touched = new Uint32Array(1024);
  #touchedCount = 0;
  /** The log overflowed (or was never drained): the reader must compare everything. */
  #overflow = false;
  /** Per axis, per slice: the `clock` of the last write that changed a voxel in it. */
  readonly #stamps: [Uint32Array, Uint32Array, Uint32Array];
  readonly #dims: Vec3;

  get dims(): Vec3 {
    return this.#dims;
  }
  #clock = 0;

  constructor(labels: Uint8Array, dims: Vec3, axis: VoxelAxis) {
    const [nx, ny, nz] = dims;
    if (labels.length !== nx * ny * nz) throw new Error('labels do not fill the grid');
    this.labels = labels;
    this.axis = axis;
    this.#dims = dims;
    this.#stamps = [new Uint32Array(nx), new Uint32Array(ny), new Uint32Array(nz)];
    this.#perSlice = new Uint32Array(dims[axis] * 256);
    this.#sliceOf = axis === 2 ? (i) => Math.floor(i / (nx * ny)) : axis === 1 ? (i) => Math.floor(i / nx) % ny : (i) => i % nx;
    const per = this.#perSlice;
    let i = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let x = 0; x < nx; x++, i++) {
          const v = labels[i]!;
          per[(axis === 2 ? k : axis === 1 ? j : x) * 256 + v]!++;
        }
      }
    }
  }

  /** Whether slice `s` (along `axis`) holds any voxel of class `cls`. */
  hasClass(s: number, cls: number): boolean {
    return (this.#perSlice[s * 256 + cls] ?? 0) > 0;
  }

  /**
   * Set `labels[indices[n]] = values[n]` (or `value` for all), keeping counts, log and stamps;
   * returns how many voxels changed (0: nothing for anyone to redraw).
   */
  write(indices: ArrayLike<number>, values: ArrayLike<number> | number): number {
    const l = this.labels;
    const one = typeof values === 'number';
    const [nx, ny] = this.#dims;
    const [sx, sy, sz] = this.#stamps;
    const clock = ++this.#clock;
    this.#reserve(indices.length);
    let changed = 0;
    for (let n = 0; n < indices.length; n++) {
      const i = indices[n]!;
      const v = one ? values : values[n]!;
      const before = l[i]!;
      if (before === v) continue;
      const at = this.#sliceOf(i) * 256;
      this.#perSlice[at + before]!--;
      this.#perSlice[at + v]!++;
      l[i] = v;
      if (!this.#overflow) this.#touched[this.#touchedCount++] = i;
      const row = Math.floor(i / nx);
      sx[i - row * nx] = clock;
      sy[row % ny] = clock;
      sz[Math.floor(row / ny)] = clock;
      changed++;
    }
    return changed;
  }

  /** Counts the writes; a reader keeps the value it last read at, for `changedSince`. */
  get clock(): number {
    return this.#clock;
  }

  /** Whether a write after `clock` changed a voxel of slice `s` along `axis`. */
  changedSince(axis: VoxelAxis, s: number, clock: number): boolean {
    return (this.#stamps[axis][s] ?? 0) > clock;
  }

  /** Voxels per class (256 entries): the slices' counts summed, a few hundred thousand additions. */
  counts(): Float64Array {
    const c = new Float64Array(256);
    const per = this.#perSlice;
    for (let at = 0; at < per.length; at += 256) for (let v = 0; v < 256; v++) c[v]! += per[at + v]!;
    return c;
  }

  /**
   * The voxels written since the last call (possibly repeated), or null when too many were
   * written to list and the reader should compare the whole volume.
   */
  takeTouched(): Uint32Array | null {
    const out = this.#overflow ? null : this.#touched.slice(0, this.#touchedCount);
    this.#touchedCount = 0;
    this.#overflow = false;
    return out;
  }

  #reserve(extra: number): void {
    if (this.#overflow) return;
    const need = this.#touchedCount + extra;
    if (need > this.labels.length * TOUCH_LOG_SHARE) {
      this.#overflow = true;
      this.#touched = new Uint32Array(1024);
      this.#touchedCount = 0;
      return;
    }
    if (need <= this.#touched.length) return;
    const grown = new Uint32Array(Math.max(need, this.#touched.length * 2));
    grown.set(this.#touched.subarray(0, this.#touchedCount));
    this.#touched = grown;
  }
}
