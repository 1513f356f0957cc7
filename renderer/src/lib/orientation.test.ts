import { describe, expect, it } from 'vitest';
import { voxelAxisAlong } from './orientation';
import { CT_ABDOMEN, defaultWindow } from './window-level';

describe('voxelAxisAlong', () => {
  it('finds the axial axis from the direction matrix, not from the file order', () => {
    expect(voxelAxisAlong([-1, 0, 0, 0, -1, 0, 0, 0, 1], 2)).toBe(2);
    // A coronal-first acquisition: k runs anterior-posterior, j runs inferior-superior.
    expect(voxelAxisAlong([1, 0, 0, 0, 0, 1, 0, -1, 0], 2)).toBe(1);
    // Oblique: the closest axis wins.
    expect(voxelAxisAlong([1, 0, 0, 0, 0.8, 0.6, 0, -0.6, 0.8], 2)).toBe(2);
  });
});

describe('defaultWindow', () => {
  it('uses the abdomen window for CT, declared or recognised by its HU range', () => {
    expect(defaultWindow({ modality: 'CT', min: 0, max: 100 })).toEqual(CT_ABDOMEN);
    expect(defaultWindow({ min: -1024, max: 1800 })).toEqual(CT_ABDOMEN);
  });
  it('uses the full range for anything else', () => {
    expect(defaultWindow({ modality: 'MR', min: 0, max: 1000 })).toEqual({ width: 1000, level: 500 });
    expect(defaultWindow({ min: 5, max: 5 })).toEqual({ width: 1, level: 5.5 });
  });
});
