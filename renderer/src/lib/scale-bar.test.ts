import { describe, expect, it } from 'vitest';
import { formatLength, roundLength, scaleBar } from './scale-bar';

describe('scale bar', () => {
  it('picks the largest 1-2-5 length that fits', () => {
    expect([0.7, 1, 1.9, 2, 4.99, 5, 9.9, 10, 37, 120, 999].map(roundLength)).toEqual([0.5, 1, 1, 2, 2, 5, 5, 10, 20, 100, 500]);
  });

  it('has no bar for a degenerate view', () => {
    expect(roundLength(0)).toBe(0);
    expect(roundLength(Number.NaN)).toBe(0);
    expect(scaleBar(0.5, 0)).toEqual({ mm: 0, px: 0, label: '0 mm' });
  });

  it('fits about a fifth of the view and shortens when zoomed in', () => {
    const wide = scaleBar(1, 500); // 100 mm fit
    expect(wide).toEqual({ mm: 100, px: 100, label: '10 cm' });
    const zoomed = scaleBar(0.25, 500); // 25 mm fit
    expect(zoomed.mm).toBe(20);
    expect(zoomed.px).toBe(80);
    expect(zoomed.px).toBeLessThanOrEqual(100);
    expect(zoomed.px).toBeGreaterThan(40);
  });

  it('writes centimetres only for whole ones', () => {
    expect(formatLength(5)).toBe('5 mm');
    expect(formatLength(20)).toBe('2 cm');
    expect(formatLength(0.5)).toBe('0.5 mm');
  });
});
