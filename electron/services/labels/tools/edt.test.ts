import { describe, expect, it } from 'vitest';
import { signedDistance, squaredEdt } from './edt.js';

/** Deterministic pseudo-random generator for test masks. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function bruteForce(mask: Uint8Array, na: number, nb: number, wa: number, wb: number): Float64Array {
  const out = new Float64Array(na * nb).fill(Infinity);
  for (let p = 0; p < na * nb; p++) {
    for (let q = 0; q < na * nb; q++) {
      if (!mask[q]) continue;
      const da = ((p % na) - (q % na)) * wa;
      const db = (Math.floor(p / na) - Math.floor(q / na)) * wb;
      out[p] = Math.min(out[p]!, da * da + db * db);
    }
  }
  return out;
}

describe('exact Euclidean distance transform', () => {
  it('matches brute force on random sparse and dense masks, with anisotropic spacing', () => {
    const rnd = lcg(7);
    for (const [na, nb, density, wa, wb] of [
      [17, 11, 0.05, 1, 1],
      [23, 9, 0.3, 0.7, 2.5],
      [8, 31, 0.01, 3, 1.2],
      [1, 12, 0.2, 1, 1],
    ] as const) {
      const mask = Uint8Array.from({ length: na * nb }, () => (rnd() < density ? 1 : 0));
      mask[5 % (na * nb)] = 1; // at least one feature
      const f = Float64Array.from(mask, (m) => (m ? 0 : Infinity));
      squaredEdt(f, na, nb, wa, wb);
      const want = bruteForce(mask, na, nb, wa, wb);
      for (let p = 0; p < f.length; p++) expect(f[p]).toBeCloseTo(want[p]!, 9);
    }
  });

  it('leaves a grid with no feature at Infinity', () => {
    const f = new Float64Array(12).fill(Infinity);
    squaredEdt(f, 4, 3, 1, 1);
    expect(Array.from(f).every((d) => d === Infinity)).toBe(true);
  });

  it('signed distance: negative inside, positive outside, never zero, finite for full and empty grids', () => {
    const na = 9;
    const nb = 7;
    const mask = new Uint8Array(na * nb);
    for (let b = 2; b <= 4; b++) for (let a = 2; a <= 6; a++) mask[a + na * b] = 1;
    const d = signedDistance(mask, na, nb, 1, 2);
    // Centre (4, 3): the nearest outside voxel is three columns (3 mm) away, not two rows (4 mm).
    expect(d[4 + na * 3]).toBe(-3);
    expect(d[0]).toBeCloseTo(Math.hypot(2, 4), 12); // (0,0) to (2,2): 2 columns, 2 rows of 2 mm
    expect(Array.from(d).every((x, p) => (mask[p] ? x < 0 : x > 0))).toBe(true);
    const full = signedDistance(new Uint8Array(na * nb).fill(1), na, nb, 1, 1);
    expect(Array.from(full).every((x) => x === -Math.hypot(na, nb))).toBe(true);
  });
});
