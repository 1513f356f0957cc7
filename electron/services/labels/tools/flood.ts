/**
 * Flood fill over a box of voxels, face-connected (4 in a slice, 6 in 3D), by spans: each seed
 * grows into the longest run along a that passes the filter, and the rows next to that run
 * (b ± 1, c ± 1) are scanned for new seeds. An explicit stack and a bitset, no recursion and
 * no per-voxel objects; coordinates are decoded once per run, not once per voxel.
 *
 * Invariant: `seen` marks exactly the voxels filled so far (each once); a voxel is filled only
 * if it passes the filter and is face-connected to the seed through filled voxels. The seed
 * itself must pass (callers check). Filling past `out`'s cap throws its message.
 */
import { IndexList, type Box } from './grid.js';
import { passes, type CandidateFilter } from './threshold.js';

/** Mark local voxel p as seen; true when it was not seen before. */
export function visit(seen: Uint32Array, p: number): boolean {
  const w = p >>> 5;
  const bit = 1 << (p & 31);
  const old = seen[w]!;
  if ((old & bit) !== 0) return false;
  seen[w] = old | bit;
  return true;
}

export const isSeen = (seen: Uint32Array, p: number): boolean => (seen[p >>> 5]! & (1 << (p & 31))) !== 0;

/** Seeds waiting to be filled; shared between floods so one allocation serves a whole tool run. */
export const floodStack = (): IndexList => new IndexList(Number.MAX_SAFE_INTEGER, () => 'unreachable: the flood stack is unbounded');

/**
 * Fill the component of local voxel `seed` (which passes `f` and is not yet seen): mark it in
 * `seen` and append its local indices to `out` (when given). Returns how many voxels it filled.
 */
export function flood(box: Box, f: CandidateFilter, seen: Uint32Array, out: IndexList | null, seed: number, stack: IndexList = floodStack()): number {
  const { na, nb, nc, base, sa, sb, sc } = box;
  const nab = na * nb;
  let filled = 0;
  // Push one seed per run of passable, unfilled voxels of row (qRow, iRow) within [lo, hi].
  const scan = (qRow: number, iRow: number, lo: number, hi: number): void => {
    let inRun = false;
    for (let a = lo; a <= hi; a++) {
      const ok = !isSeen(seen, qRow + a) && passes(f, iRow + a * sa);
      if (ok && !inRun) stack.push(qRow + a);
      inRun = ok;
    }
  };
  stack.clear();
  stack.push(seed);
  while (stack.length > 0) {
    const p = stack.pop();
    if (isSeen(seen, p)) continue; // filled from another run since it was pushed
    const c = Math.floor(p / nab);
    const r = p - c * nab;
    const b = Math.floor(r / na);
    const a = r - b * na;
    const qRow = p - a; // local index of (0, b, c)
    const iRow = base + b * sb + c * sc; // volume index of (0, b, c)
    let lo = a;
    while (lo > 0 && !isSeen(seen, qRow + lo - 1) && passes(f, iRow + (lo - 1) * sa)) lo--;
    let hi = a;
    while (hi < na - 1 && !isSeen(seen, qRow + hi + 1) && passes(f, iRow + (hi + 1) * sa)) hi++;
    for (let x = lo; x <= hi; x++) {
      visit(seen, qRow + x);
      out?.push(qRow + x);
    }
    filled += hi - lo + 1;
    if (b > 0) scan(qRow - na, iRow - sb, lo, hi);
    if (b < nb - 1) scan(qRow + na, iRow + sb, lo, hi);
    if (c > 0) scan(qRow - nab, iRow - sc, lo, hi);
    if (c < nc - 1) scan(qRow + nab, iRow + sc, lo, hi);
  }
  return filled;
}
