/**
 * What the last model runs said about their own certainty, kept per study: per slice (status
 * axis, for the review queue) and per voxel (normalised entropy × 255, the uncertainty overlay),
 * each slice from the latest run that finished it.
 *
 * Invariant: neither is shown for labels it did not describe. Every status-axis slice carries a
 * tag, the entry of LabelSession.models (one per run) whose run measured what is kept there (0:
 * nothing, or a mix of runs); a slice's figures are visible only while the session still
 * attributes that slice to the same entry (LabelSession.sliceModel), so undoing a run hides its
 * figures, redoing it shows them again, and undoing a rerun of the same model does not show the
 * rerun's figures over the first run's labels.
 */
import type { Vec3 } from '../../../common/geometry.js';

/**
 * The slice stride along `axis`, and the two other axes as (count, stride) pairs, of a volume of
 * `dims` indexed i + nx·(j + ny·k).
 */
function sliceAxes(dims: Vec3, axis: 0 | 1 | 2): { stride: number; across: [[number, number], [number, number]] } {
  const [nx, ny, nz] = dims;
  const axes = [[nx, 1], [ny, nx], [nz, nx * ny]] as const;
  const [a, b] = axes.filter((_, n) => n !== axis) as [[number, number], [number, number]];
  return { stride: axes[axis][1], across: [a, b] };
}

/** A slice's kept figures belong to its labels: tagged, and the slice still attributed to that entry. */
const matches = (tag: number, attributed: number): boolean => tag !== 0 && tag === attributed;

export class RunUncertainty {
  /** Per status-axis slice: uncertainty in the latest run that reached it (NaN: none), and its tag. */
  uncertainty: Float64Array | null = null;
  uncertaintyFrom: Uint16Array;
  /** Per voxel: normalised entropy × 255 of the latest run that reached its slice (null: never run). */
  entropy: Uint8Array | null = null;
  /** Per status-axis slice: the entry whose runs measured every entropy byte kept on it. */
  entropyFrom: Uint16Array;

  constructor(
    readonly dims: Vec3,
    readonly statusAxis: 0 | 1 | 2,
  ) {
    this.uncertaintyFrom = new Uint16Array(dims[statusAxis]);
    this.entropyFrom = new Uint16Array(dims[statusAxis]);
  }

  /** A status-axis run's per-slice uncertainty on its completed slices, measured by model entry `entry`. */
  rememberUncertainty(u: Float64Array, completed: readonly number[], entry: number): void {
    let kept = this.uncertainty;
    if (!kept || kept.length !== u.length) {
      kept = this.uncertainty = new Float64Array(u.length).fill(NaN);
      this.uncertaintyFrom.fill(0);
    }
    for (const z of completed) {
      kept[z] = u[z]!;
      this.uncertaintyFrom[z] = entry;
    }
  }

  /**
   * A run's entropy (along its own `axis`) on its completed slices; slices it did not reach keep
   * the earlier run's. The first run's array is kept as it is (a cancelled run has zeros where it
   * did not reach), tagged whole. A run along another axis than the status axis crosses every
   * status slice: when it finished all its slices each takes its tag; otherwise each is a mix of
   * two runs and is tagged 0 (hidden). Entries are runs, so no earlier byte shares the tag.
   */
  rememberEntropy(entropy: Uint8Array, axis: 0 | 1 | 2, completed: readonly number[], entry: number): void {
    const kept = this.entropy;
    if (!kept || kept.length !== entropy.length) {
      this.entropy = entropy;
      this.entropyFrom.fill(entry);
      return;
    }
    const {
      stride,
      across: [[n0, s0], [n1, s1]],
    } = sliceAxes(this.dims, axis);
    for (const z of completed) {
      for (let v = 0; v < n1; v++) {
        const row = z * stride + v * s1;
        if (s0 === 1) kept.set(entropy.subarray(row, row + n0), row);
        else for (let u = 0; u < n0; u++) kept[row + u * s0] = entropy[row + u * s0]!;
      }
    }
    const from = this.entropyFrom;
    if (axis === this.statusAxis) {
      for (const z of completed) from[z] = entry;
    } else if (completed.length > 0) {
      from.fill(completed.length === this.dims[axis] ? entry : 0);
    }
  }

  /** The per-slice uncertainty where it describes the slice's labels (NaN elsewhere), or null before any run. */
  visibleUncertainty(sliceModel: Uint16Array): Float64Array | null {
    const u = this.uncertainty;
    if (!u) return null;
    return u.map((x, z) => (matches(this.uncertaintyFrom[z]!, sliceModel[z]!) ? x : NaN));
  }

  /**
   * The entropy where it describes the labels (0 on slices attributed to another model entry, or
   * none), or null before any run. The kept array itself when every slice matches (no copy).
   */
  visibleEntropy(sliceModel: Uint16Array): Uint8Array | null {
    const e = this.entropy;
    if (!e) return null;
    const hidden: number[] = [];
    this.entropyFrom.forEach((tag, z) => {
      if (!matches(tag, sliceModel[z]!)) hidden.push(z);
    });
    if (hidden.length === 0) return e;
    const out = e.slice();
    const {
      stride,
      across: [[n0, s0], [n1, s1]],
    } = sliceAxes(this.dims, this.statusAxis);
    for (const z of hidden) {
      if (this.statusAxis === 2) out.fill(0, z * stride, (z + 1) * stride);
      else for (let v = 0; v < n1; v++) for (let u = 0; u < n0; u++) out[z * stride + u * s0 + v * s1] = 0;
    }
    return out;
  }
}
