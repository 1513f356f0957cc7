import { describe, expect, it } from 'vitest';
import { clampSplit, gridTracks, splitAt } from './layout';

describe('view grid split', () => {
  it('follows the pointer inside the grid', () => {
    expect(splitAt(300, 100, 800)).toBe(0.25);
  });

  it('never lets a view vanish', () => {
    expect(splitAt(0, 100, 800)).toBe(0.15);
    expect(splitAt(2000, 100, 800)).toBe(0.85);
    expect(splitAt(10, 0, 0)).toBe(0.5);
    expect(clampSplit(Number.NaN)).toBe(0.5);
  });

  it('writes two fractional tracks', () => {
    expect(gridTracks(0.25)).toBe('0.25fr 0.75fr');
    expect(gridTracks(0.5)).toBe('0.5fr 0.5fr');
  });
});
