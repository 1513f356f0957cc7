import { describe, expect, it } from 'vitest';
import { fromUv, interpolationSlices, parseRange, planeAxes, seedRange, tidyPolygon, toUv, windowRange } from './label-tools';

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
  it('finds the nearest slices below and above that hold the class', () => {
    const holding = new Set([1, 4]);
    const has = (s: number): boolean => holding.has(s);
    expect(interpolationSlices(has, 6, 3)).toEqual({ from: 1, to: 4 });
    expect(interpolationSlices(has, 6, 1)).toEqual({ from: null, to: 4 });
    expect(interpolationSlices(has, 6, 4)).toEqual({ from: 1, to: null });
    expect(interpolationSlices(() => false, 6, 2)).toEqual({ from: null, to: null });
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
