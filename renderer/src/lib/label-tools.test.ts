import { describe, expect, it } from 'vitest';
import { fromUv, interpolationSlices, parseRange, planeAxes, seedRange, sliceHasClass, tidyPolygon, toUv, windowRange } from './label-tools';

describe('slice coordinates', () => {
  it('u and v are the two other axes in i, j, k order, as the contract says', () => {
    expect(planeAxes(0)).toEqual([1, 2]);
    expect(planeAxes(1)).toEqual([0, 2]);
    expect(planeAxes(2)).toEqual([0, 1]);
    expect(toUv(1, [3, 7, 5.5])).toEqual([3, 5.5]);
    expect(fromUv(1, 7, [3, 5.5])).toEqual([3, 7, 5.5]);
    expect(fromUv(0, 2, toUv(0, [2, 4, 6]))).toEqual([2, 4, 6]);
  });
});

describe('ranges', () => {
  it('the window gives level ± width / 2; a seed gives value ± tolerance', () => {
    expect(windowRange({ width: 400, level: 40 })).toEqual([-160, 240]);
    expect(seedRange(60, 50)).toEqual([10, 110]);
    expect(seedRange(60, -5)).toEqual([60, 60]);
  });

  it('typed bounds that are not numbers or reversed make no range', () => {
    expect(parseRange(0, 100)).toEqual([0, 100]);
    expect(parseRange(Number.NaN, 100)).toBeNull();
    expect(parseRange(100, 0)).toBeNull();
  });
});

describe('interpolationSlices', () => {
  const dims = [4, 3, 6] as const;
  const labels = new Uint8Array(4 * 3 * 6);
  const at = (i: number, j: number, k: number): number => i + 4 * (j + 3 * k);
  labels[at(1, 1, 1)] = 5;
  labels[at(2, 0, 4)] = 5;
  labels[at(3, 2, 3)] = 2;

  it('finds the nearest slices below and above that hold the class, along any axis', () => {
    expect(interpolationSlices(labels, dims, 2, 3, 5)).toEqual({ from: 1, to: 4 });
    expect(interpolationSlices(labels, dims, 2, 1, 5)).toEqual({ from: null, to: 4 });
    expect(interpolationSlices(labels, dims, 0, 0, 2)).toEqual({ from: null, to: 3 });
    expect(interpolationSlices(labels, dims, 1, 1, 5)).toEqual({ from: 0, to: null });
  });

  it('sliceHasClass looks only at that slice', () => {
    expect(sliceHasClass(labels, dims, 2, 1, 5)).toBe(true);
    expect(sliceHasClass(labels, dims, 2, 2, 5)).toBe(false);
    expect(sliceHasClass(labels, dims, 1, 2, 2)).toBe(true);
    expect(sliceHasClass(labels, dims, 0, 3, 5)).toBe(false);
  });
});

describe('tidyPolygon', () => {
  it('merges the double-click duplicate and a return to the first point', () => {
    expect(
      tidyPolygon([
        [0, 0],
        [4, 0],
        [4, 4],
        [4.1, 4],
        [0.2, 0.1],
      ]),
    ).toEqual([
      [0, 0],
      [4, 0],
      [4, 4],
    ]);
  });

  it('refuses fewer than three distinct points', () => {
    expect(
      tidyPolygon([
        [0, 0],
        [4, 0],
        [4, 0.1],
      ]),
    ).toBeNull();
  });
});
