import { describe, expect, it } from 'vitest';
import { HEAT_FLOOR, HEAT_STOPS, heatAt, heatGradient } from './heat-scale';

describe('the uncertainty heat scale', () => {
  it('leaves sure voxels clear and grows more opaque and redder with the entropy', () => {
    expect(heatAt(0).alpha).toBe(0);
    expect(heatAt(HEAT_FLOOR).alpha).toBe(0);
    const ramp = [0.2, 0.4, 0.6, 0.8, 1].map(heatAt);
    ramp.slice(1).forEach((h, n) => {
      expect(h.alpha).toBeGreaterThanOrEqual(ramp[n]!.alpha);
      expect(h.rgb[1]).toBeLessThanOrEqual(ramp[n]!.rgb[1]);
    });
    expect(heatAt(0.4)).toEqual({ rgb: [255, 150, 0], alpha: 0.6 });
    // Out of range clamps.
    expect(heatAt(2)).toEqual(heatAt(1));
    expect(heatAt(-1)).toEqual(heatAt(0));
  });

  it('draws the legend from the same stops', () => {
    const g = heatGradient();
    expect(g.startsWith('linear-gradient(to right, ')).toBe(true);
    for (const s of HEAT_STOPS) expect(g).toContain(`rgba(${s.rgb.join(', ')}, ${s.alpha}) ${(s.at * 100).toFixed(1)}%`);
  });
});
