import { describe, expect, it } from 'vitest';
import { indexToPatient, patientToIndex } from '../../../common/geometry';
import { voxelAt } from './voxel-geometry';

const g = {
  origin: [177.96, -11.32, 94.3] as [number, number, number],
  spacing: [3, 2, 1.5] as [number, number, number],
  direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number],
};

describe('voxel geometry', () => {
  it('maps an index to LPS and back', () => {
    expect(indexToPatient(g, [1, 2, 3]).map((v) => +v.toFixed(4))).toEqual([174.96, -15.32, 98.8]);
    expect(patientToIndex(g, indexToPatient(g, [10, 20, 5])).map((v) => +v.toFixed(9))).toEqual([10, 20, 5]);
  });

  it('inverts a sheared (gantry tilt) direction matrix exactly', () => {
    const tilt = { ...g, direction: [1, 0, 0, 0, 1, 0.2, 0, 0, 0.98] as typeof g.direction };
    const back = patientToIndex(tilt, indexToPatient(tilt, [7, 8, 9]));
    back.forEach((v, n) => expect(v).toBeCloseTo([7, 8, 9][n] as number, 9));
  });

  it('reads voxels i fastest and refuses outside indices', () => {
    const voxels = Int16Array.from({ length: 2 * 3 * 4 }, (_, n) => n);
    const meta = { dims: [2, 3, 4] as [number, number, number] };
    expect(voxelAt(meta, voxels, [1, 2, 3])).toBe(1 + 2 * (2 + 3 * 3));
    expect(voxelAt(meta, voxels, [2, 0, 0])).toBeNull();
    expect(voxelAt(meta, voxels, [0, -1, 0])).toBeNull();
  });
});
