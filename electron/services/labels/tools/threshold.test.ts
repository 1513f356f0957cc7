import { describe, expect, it } from 'vitest';
import { candidateFilter, filterIndices, passesAll } from './threshold.js';

describe('threshold filter', () => {
  const image = Int16Array.of(-1000, -50, 0, 40, 80, 200, 1200, 60);
  const labels = Uint8Array.of(0, 0, 3, 0, 5, 5, 0, 3);
  const all = Uint32Array.of(0, 1, 2, 3, 4, 5, 6, 7);

  it('keeps voxels whose intensity is in the inclusive range, in order', () => {
    const f = candidateFilter(labels, image, { range: [0, 80] });
    expect(Array.from(filterIndices(all, f))).toEqual([2, 3, 4, 7]);
    expect(Array.from(filterIndices(Uint32Array.of(7, 3, 6), f))).toEqual([7, 3]);
  });

  it('combines the range with one class (within), not one class (without) and labelled-only', () => {
    expect(Array.from(filterIndices(all, candidateFilter(labels, image, { range: [-100, 100], within: 0 })))).toEqual([1, 3]);
    expect(Array.from(filterIndices(all, candidateFilter(labels, image, { within: 5 })))).toEqual([4, 5]);
    expect(Array.from(filterIndices(all, candidateFilter(labels, image, { without: 0 })))).toEqual([2, 4, 5, 7]);
    expect(Array.from(filterIndices(all, candidateFilter(labels, image, { labelledOnly: true, range: [50, 2000] })))).toEqual([4, 5, 7]);
  });

  it('passes everything without limits (and returns the candidates as they are)', () => {
    const f = candidateFilter(labels, null, {});
    expect(passesAll(f)).toBe(true);
    expect(filterIndices(all, f)).toBe(all);
  });

  it('never lets NaN intensities through a range', () => {
    const f = candidateFilter(Uint8Array.of(0, 0), Float32Array.of(NaN, 1), { range: [-1e9, 1e9] });
    expect(Array.from(filterIndices(Uint32Array.of(0, 1), f))).toEqual([1]);
  });

  it('rejects an empty or non-finite range', () => {
    expect(() => candidateFilter(labels, image, { range: [5, 1] })).toThrow(/lo ≤ hi/);
    expect(() => candidateFilter(labels, image, { range: [0, Infinity] })).toThrow(/not finite/);
  });
});
