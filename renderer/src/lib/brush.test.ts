import { describe, expect, it } from 'vitest';
import { diskIndices } from './brush';

describe('diskIndices', () => {
  const meta = { dims: [10, 8, 6] as [number, number, number], spacing: [1, 1, 1] as [number, number, number] };

  it('a radius-1 disk in an axial slice is a plus of 5 voxels in that slice', () => {
    const d = Array.from(diskIndices(meta, 2, [4, 4, 3], 1)).sort((a, b) => a - b);
    const at = (i: number, j: number, k: number): number => i + 10 * (j + 8 * k);
    expect(d).toEqual([at(4, 3, 3), at(3, 4, 3), at(4, 4, 3), at(5, 4, 3), at(4, 5, 3)]);
  });

  it('honours anisotropic spacing and stays inside the volume', () => {
    const aniso = { dims: [10, 8, 6] as [number, number, number], spacing: [1, 1, 3] as [number, number, number] };
    // Coronal plane (j fixed): 3 mm along k means the 3 mm brush reaches one slice up and down.
    const d = diskIndices(aniso, 1, [0, 2, 0], 3);
    const ks = new Set(Array.from(d, (n) => Math.floor(n / 80)));
    expect([...ks].sort()).toEqual([0, 1]);
    expect(Array.from(d).every((n) => Math.floor(n / 10) % 8 === 2)).toBe(true);
  });
});
