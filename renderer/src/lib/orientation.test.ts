import { describe, expect, it } from 'vitest';
import { voxelAxisAlong } from '../../../common/geometry';
import { directionLetters, viewGeometry } from './orientation';
import { CT_ABDOMEN, defaultWindow } from './window-level';

const LPS_IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1] as const;
const NIFTI_RAS_AS_LPS = [-1, 0, 0, 0, -1, 0, 0, 0, 1] as const;

describe('voxelAxisAlong', () => {
  it('finds the axial axis from the direction matrix, not from the file order', () => {
    expect(voxelAxisAlong(NIFTI_RAS_AS_LPS, 2)).toBe(2);
    // A coronal-first acquisition: k runs anterior-posterior, j runs inferior-superior.
    expect(voxelAxisAlong([1, 0, 0, 0, 0, 1, 0, -1, 0], 2)).toBe(1);
    // Oblique: the closest axis wins.
    expect(voxelAxisAlong([1, 0, 0, 0, 0.8, 0.6, 0, -0.6, 0.8], 2)).toBe(2);
  });
});

describe('viewGeometry: radiological letters from the real direction matrix', () => {
  it('axial, coronal and sagittal of a DICOM-ordered volume', () => {
    expect(viewGeometry(LPS_IDENTITY, 'axial').letters).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
    expect(viewGeometry(LPS_IDENTITY, 'coronal').letters).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' });
    expect(viewGeometry(LPS_IDENTITY, 'sagittal').letters).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
  });

  it('the same letters whatever the voxel order or axis signs', () => {
    for (const dir of [NIFTI_RAS_AS_LPS, [0, 0, 1, 1, 0, 0, 0, -1, 0] as const]) {
      expect(viewGeometry(dir, 'axial').letters).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
      expect(viewGeometry(dir, 'sagittal').letters).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
    }
    expect(viewGeometry([0, 0, 1, 1, 0, 0, 0, -1, 0], 'axial').sliceAxis).toBe(1);
  });

  it('an oblique volume gets mixed letters and a camera along its own axes', () => {
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const g = viewGeometry([1, 0, 0, 0, c, s, 0, -s, c], 'axial');
    expect(g.sliceAxis).toBe(2);
    expect(g.directionOfProjection.map((v) => +v.toFixed(6))).toEqual([0, +s.toFixed(6), +c.toFixed(6)]);
    expect(g.letters.top).toBe('AS');
    expect(g.letters.right).toBe('L');
  });

  it('directionLetters orders by strength', () => {
    expect(directionLetters([0.2, -0.6, 0.77])).toBe('SA');
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
