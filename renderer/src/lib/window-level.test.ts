import { describe, expect, it } from 'vitest';
import {
  CT_PRESETS,
  defaultWindow,
  dragWindowLevel,
  formatWindowValue,
  matchPreset,
  percentilePresets,
  percentiles,
  windowPresets,
} from './window-level';

const ramp = Float32Array.from({ length: 10_000 }, (_, i) => i / 10); // 0 … 999.9, uniform

describe('percentiles', () => {
  it('reads values of a uniform ramp to within a bin', () => {
    const [p1, p50, p99] = percentiles(ramp, 0, 999.9, [1, 50, 99]);
    expect(p1).toBeCloseTo(10, 0);
    expect(p50).toBeCloseTo(500, 0);
    expect(p99).toBeCloseTo(990, 0);
  });

  it('puts the ends at min and max and survives a constant volume', () => {
    expect(percentiles(ramp, 0, 999.9, [0, 100]).map(Math.round)).toEqual([0, 1000]);
    expect(percentiles(new Uint8Array(10).fill(7), 7, 7, [1, 99])).toEqual([7, 7]);
  });

  it('leaves NaN voxels out', () => {
    const withNaN = Float32Array.from([...ramp, ...new Array<number>(10_000).fill(Number.NaN)]);
    expect(percentiles(withNaN, 0, 999.9, [50])[0]).toBeCloseTo(500, 0);
  });

  it('weights by voxel count (a mostly dark MR)', () => {
    const v = new Uint16Array(1000);
    v.fill(1000, 900); // 10 % bright
    const [p5, p95] = percentiles(v, 0, 1000, [5, 95]);
    expect(p5).toBeLessThan(1);
    expect(p95).toBeGreaterThan(999);
  });
});

describe('presets', () => {
  it('offers the fixed CT windows for Hounsfield volumes', () => {
    const ct = windowPresets({ modality: 'CT', min: -1024, max: 3000 }, new Int16Array(4));
    expect(ct).toBe(CT_PRESETS);
    expect(ct.map((p) => [p.name, p.width, p.level])).toEqual([
      ['Abdomen', 400, 40],
      ['Liver', 150, 30],
      ['Lung', 1500, -600],
      ['Bone', 1800, 400],
      ['Brain', 80, 40],
    ]);
  });

  it('offers percentile windows for MR', () => {
    const mr = windowPresets({ modality: 'MR', min: 0, max: 999.9 }, ramp);
    expect(mr.map((p) => p.id)).toEqual(['p1-99', 'p5-95', 'full']);
    expect(mr[0]!.width).toBeCloseTo(980, 0);
    expect(mr[0]!.level).toBeCloseTo(500, 0);
    expect(mr[1]!.width).toBeCloseTo(900, 0);
    expect(mr[2]).toMatchObject({ width: 999.9, level: 999.9 / 2 });
  });

  it('never gives a zero width', () => {
    for (const p of percentilePresets({ min: 5, max: 5 }, new Uint8Array(3).fill(5))) expect(p.width).toBeGreaterThan(0);
  });

  it('matches a window to its preset exactly', () => {
    expect(matchPreset(CT_PRESETS, defaultWindow({ modality: 'CT', min: -1000, max: 1000 }))?.id).toBe('ct-abdomen');
    expect(matchPreset(CT_PRESETS, { width: 401, level: 40 })).toBeUndefined();
  });
});

describe('window/level drag', () => {
  const start = { width: 400, level: 40 };

  it('leaves the window alone without movement', () => {
    expect(dragWindowLevel(start, 0, 0)).toEqual(start);
  });

  it('widens to the right, narrows to the left, never to zero', () => {
    expect(dragWindowLevel(start, 100, 0).width).toBeGreaterThan(400);
    expect(dragWindowLevel(start, -100, 0).width).toBeLessThan(400);
    expect(dragWindowLevel(start, -100_000, 0).width).toBeGreaterThan(0);
  });

  it('raises the level downward in proportion to the width', () => {
    expect(dragWindowLevel(start, 0, 64).level).toBe(140);
    expect(dragWindowLevel({ width: 40, level: 40 }, 0, 64).level).toBe(50);
  });
});

describe('readout values', () => {
  it('rounds large values, keeps three digits of small ones', () => {
    expect(formatWindowValue(400)).toBe('400');
    expect(formatWindowValue(-600.4)).toBe('-600');
    expect(formatWindowValue(40)).toBe('40');
    expect(formatWindowValue(0.123456)).toBe('0.123');
    expect(formatWindowValue(12.345)).toBe('12.3');
  });
});
