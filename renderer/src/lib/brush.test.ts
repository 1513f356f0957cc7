import { describe, expect, it } from 'vitest';
import { diskIndices, FOOTPRINTS, sphereIndices } from './brush';

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

describe('sphereIndices', () => {
  const at = (i: number, j: number, k: number): number => i + 10 * (j + 8 * k);
  const kOf = (n: number): number => Math.floor(n / 80);

  it('a radius-1 sphere on isotropic voxels is the 7-voxel cross across three slices', () => {
    const meta = { dims: [10, 8, 6] as [number, number, number], spacing: [1, 1, 1] as [number, number, number] };
    const s = Array.from(sphereIndices(meta, [4, 4, 3], 1)).sort((a, b) => a - b);
    expect(s).toEqual([at(4, 4, 2), at(4, 3, 3), at(3, 4, 3), at(4, 4, 3), at(5, 4, 3), at(4, 5, 3), at(4, 4, 4)].sort((a, b) => a - b));
  });

  it('reaches as many slices as the radius covers in mm, and its middle slice is the disk', () => {
    const meta = { dims: [10, 8, 6] as [number, number, number], spacing: [1, 1, 3] as [number, number, number] };
    const s = sphereIndices(meta, [5, 4, 2], 4);
    expect([...new Set(Array.from(s, kOf))].sort()).toEqual([1, 2, 3]);
    const middle = Array.from(s).filter((n) => kOf(n) === 2).sort((a, b) => a - b);
    expect(middle).toEqual(Array.from(diskIndices(meta, 2, [5, 4, 2], 4)).sort((a, b) => a - b));
    // The neighbouring slices are smaller circles (√(16 − 9) ≈ 2.6 mm).
    expect(Array.from(s).filter((n) => kOf(n) === 1).length).toBeLessThan(middle.length);
  });

  it('stays inside the volume at a corner', () => {
    const meta = { dims: [10, 8, 6] as [number, number, number], spacing: [1, 1, 1] as [number, number, number] };
    const s = sphereIndices(meta, [0, 0, 0], 2);
    expect(Array.from(s).every((n) => n >= 0 && n < 480)).toBe(true);
    expect(s.length).toBe(11); // the octant i, j, k ≥ 0 of the radius-2 ball
  });

  it('the disk footprint ignores other slices, the sphere does not', () => {
    const meta = { dims: [10, 8, 6] as [number, number, number], spacing: [1, 1, 1] as [number, number, number] };
    expect(new Set(Array.from(FOOTPRINTS.disk(meta, 2, [4, 4, 3], 2), kOf)).size).toBe(1);
    expect(new Set(Array.from(FOOTPRINTS.sphere(meta, 2, [4, 4, 3], 2), kOf)).size).toBe(5);
  });
});
