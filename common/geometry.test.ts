import { describe, expect, it } from 'vitest';
import { axisPermutation, indexToPatient, patientToIndex, type Mat3 } from './geometry';

/** Row-major rotation about x, then z (columns: the voxel axes' LPS directions). */
function rotation(ax: number, az: number): Mat3 {
  const [c1, s1, c2, s2] = [Math.cos(ax), Math.sin(ax), Math.cos(az), Math.sin(az)];
  // Rz · Rx
  return [c2, -s2 * c1, s2 * s1, s2, c2 * c1, -c2 * s1, 0, s1, c1];
}

describe('axisPermutation', () => {
  it('maps an axis-aligned grid to itself and follows transposed axes', () => {
    expect(axisPermutation([1, 0, 0, 0, 1, 0, 0, 0, 1])).toEqual([0, 1, 2]);
    // Sagittal acquisition: i along y, j along z, k along x.
    expect(axisPermutation([0, 0, 1, 1, 0, 0, 0, 1, 0])).toEqual([2, 0, 1]);
  });

  it('is a permutation where choosing each patient axis alone picks one voxel axis twice', () => {
    // 50° about x, then 40° about z: voxel axis j is nearest to both y and z on its own.
    const d = rotation((50 * Math.PI) / 180, (40 * Math.PI) / 180);
    const nearest = (p: number): number => [0, 1, 2].reduce((b, a) => (Math.abs(d[p * 3 + a]!) > Math.abs(d[p * 3 + b]!) ? a : b));
    expect(new Set([nearest(0), nearest(1), nearest(2)]).size).toBeLessThan(3);
    expect([...axisPermutation(d)].sort()).toEqual([0, 1, 2]);
  });
});

describe('index ↔ patient', () => {
  it('round-trips through a sheared (gantry-tilt) grid', () => {
    const g = { origin: [10, -20, 30] as const, spacing: [0.7, 0.7, 2.5] as const, direction: [1, 0, 0, 0, 0.97, 0.2, 0, 0, 1] as Mat3 };
    const p = indexToPatient(g, [7, 8, 9]);
    expect(p[0]).toBeCloseTo(10 + 7 * 0.7, 12);
    expect(patientToIndex(g, p).map((v) => +v.toFixed(9))).toEqual([7, 8, 9]);
  });
});
