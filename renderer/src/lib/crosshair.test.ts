import { describe, expect, it } from 'vitest';
import { crosshairIndex, slicesThrough } from './crosshair';

const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number];
const meta = { dims: [122, 101, 30] as [number, number, number], direction: identity };

describe('linked crosshair', () => {
  it('meets where the three slices cross', () => {
    expect(crosshairIndex(meta, { axial: 15, coronal: 50, sagittal: 61 })).toEqual([61, 50, 15]);
  });

  it('moves the other views through a clicked voxel', () => {
    expect(slicesThrough(meta, [10, 20, 5], 'axial')).toEqual({ coronal: 20, sagittal: 10 });
    expect(slicesThrough(meta, [10, 20, 5], 'sagittal')).toEqual({ axial: 5, coronal: 20 });
  });

  it('follows the voxel axes of a permuted volume (k along patient y)', () => {
    // i → x, j → z, k → y: the coronal view slices along k.
    const permuted = { dims: [10, 20, 30] as [number, number, number], direction: [1, 0, 0, 0, 0, 1, 0, 1, 0] as typeof identity };
    expect(slicesThrough(permuted, [1, 2, 3], 'sagittal')).toEqual({ axial: 2, coronal: 3 });
    expect(crosshairIndex(permuted, { axial: 4, coronal: 5, sagittal: 6 })).toEqual([6, 4, 5]);
  });

  it('clamps into the volume', () => {
    expect(slicesThrough(meta, [-3, 500, 2], 'axial')).toEqual({ coronal: 100, sagittal: 0 });
  });
});
