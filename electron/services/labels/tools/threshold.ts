/**
 * The filter stage of every correction tool (cornerstone3D's threshold strategy): a candidate
 * voxel passes when its image intensity lies in [lo, hi] (inclusive, in the volume's units
 * after rescale: HU for CT), it currently has the class `within` (when given) and not the
 * class `without` (when given), and it has some class at all (when `labelledOnly`: an erase
 * never touches background).
 *
 * Invariant: `passes` reads only; a NaN intensity never passes an intensity limit. Ranges with
 * lo > hi or non-finite ends are rejected.
 */
import { UserFacingError } from '../../../../common/contract/result.js';
import type { VoxelArray } from '../../../../common/contract/volume.js';

export interface CandidateFilter {
  readonly labels: Uint8Array;
  /** Image voxels to test against [lo, hi]; null: no intensity limit. */
  readonly image: VoxelArray | null;
  readonly lo: number;
  readonly hi: number;
  /** Only voxels currently of this class; −1: any class. */
  readonly within: number;
  /** Only voxels currently not of this class; −1: no such limit. */
  readonly without: number;
  /** Only voxels that have a class (not background). */
  readonly labelledOnly: boolean;
  /** Per class 0–255: 1 when the three class conditions above let it through (one load per test). */
  readonly classOk: Uint8Array;
}

export interface FilterOptions {
  readonly range?: readonly [number, number] | undefined;
  readonly within?: number | undefined;
  readonly without?: number | undefined;
  readonly labelledOnly?: boolean | undefined;
  /** Per class 0–255: 0 when the paint-over rule forbids overwriting it (paint-over.ts). */
  readonly overwritable?: Uint8Array | undefined;
}

export function candidateFilter(labels: Uint8Array, image: VoxelArray | null, o: FilterOptions): CandidateFilter {
  const r = o.range;
  if (r && !(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] <= r[1])) {
    throw new UserFacingError('invalid-argument', `The intensity range [${r[0]}, ${r[1]}] is empty or not finite; give lo ≤ hi.`);
  }
  if (r && image?.length !== labels.length) throw new Error('an intensity range needs image voxels of the labels’ size');
  const within = o.within ?? -1;
  const without = o.without ?? -1;
  const labelledOnly = o.labelledOnly ?? false;
  const classOk = Uint8Array.from({ length: 256 }, (_, c) => ((within < 0 || c === within) && c !== without && !(labelledOnly && c === 0) && (o.overwritable?.[c] ?? 1) === 1 ? 1 : 0));
  return { labels, image: r ? image : null, lo: r?.[0] ?? 0, hi: r?.[1] ?? 0, within, without, labelledOnly, classOk };
}

/** Whether voxel `i` passes. A plain function over a plain record so hot loops stay monomorphic. */
export function passes(f: CandidateFilter, i: number): boolean {
  if (f.classOk[f.labels[i]!] === 0) return false;
  if (f.image === null) return true;
  const x = f.image[i] as number;
  return x >= f.lo && x <= f.hi;
}

/** True when the filter lets every voxel through (callers can skip it). */
export const passesAll = (f: CandidateFilter): boolean => f.image === null && f.classOk.every((x) => x === 1);

/** The candidates that pass, in their order (threshold paint: a brush stroke limited to [lo, hi]). */
export function filterIndices(indices: Uint32Array, f: CandidateFilter): Uint32Array {
  if (passesAll(f)) return indices;
  const out = new Uint32Array(indices.length);
  let m = 0;
  for (let n = 0; n < indices.length; n++) {
    const i = indices[n]!;
    if (passes(f, i)) out[m++] = i;
  }
  return out.slice(0, m);
}
