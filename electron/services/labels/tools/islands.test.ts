import { describe, expect, it } from 'vitest';
import { at, block, sorted, volumeWith } from '../testing/grids.js';
import { islands } from './islands.js';

const dims = [12, 10, 6] as const;
const big = block(dims, [1, 1, 1], [3, 3, 3]); // 27 voxels
const medium = block(dims, [6, 1, 1], [7, 2, 1]); // 4 voxels
const single = [at(dims, 4, 4, 4)]; // touches `big` only at a corner: its own component
const other = block(dims, [9, 5, 1], [10, 6, 1]); // class 2: never touched
const labels = volumeWith((n) => new Uint8Array(n), dims, 0, [
  [big, 1],
  [medium, 1],
  [single, 1],
  [other, 2],
]);

describe('remove islands', () => {
  it('3D: erases the components smaller than the limit (6-connected)', () => {
    expect(sorted(islands(dims, labels, { classIndex: 1, mode: 'smaller-than', minVoxels: 5, plane: null }, 1e6))).toEqual(sorted([...medium, ...single]));
    expect(sorted(islands(dims, labels, { classIndex: 1, mode: 'smaller-than', minVoxels: 4, plane: null }, 1e6))).toEqual(single);
    expect(islands(dims, labels, { classIndex: 1, mode: 'smaller-than', minVoxels: 1, plane: null }, 1e6).length).toBe(0);
  });

  it('3D: keep only the largest', () => {
    expect(sorted(islands(dims, labels, { classIndex: 1, mode: 'all-but-largest', minVoxels: 0, plane: null }, 1e6))).toEqual(sorted([...medium, ...single]));
    expect(sorted(islands(dims, labels, { classIndex: 2, mode: 'all-but-largest', minVoxels: 0, plane: null }, 1e6))).toEqual([]);
  });

  it('2D: per slice, so a component split only within a slice counts as two', () => {
    // A U shape in 3D: two 1×1×3 pillars joined at the bottom slice.
    const u = [...block(dims, [1, 1, 0], [1, 1, 2]), ...block(dims, [3, 1, 0], [3, 1, 2]), at(dims, 2, 1, 0)];
    const l = volumeWith((n) => new Uint8Array(n), dims, 0, [[u, 3]]);
    expect(islands(dims, l, { classIndex: 3, mode: 'all-but-largest', minVoxels: 0, plane: null }, 1e6).length).toBe(0);
    // Slices k = 1, 2 each hold two single voxels: keep the first of each pair.
    expect(sorted(islands(dims, l, { classIndex: 3, mode: 'all-but-largest', minVoxels: 0, plane: { axis: 2, slice: null } }, 1e6))).toEqual([at(dims, 3, 1, 1), at(dims, 3, 1, 2)]);
    expect(sorted(islands(dims, l, { classIndex: 3, mode: 'smaller-than', minVoxels: 2, plane: { axis: 2, slice: 2 } }, 1e6))).toEqual([at(dims, 1, 1, 2), at(dims, 3, 1, 2)]);
    // Along axis 1 (the j = 1 plane) the U is one component.
    expect(islands(dims, l, { classIndex: 3, mode: 'smaller-than', minVoxels: 7, plane: { axis: 1, slice: 1 } }, 1e6).length).toBe(0);
  });

  it('refuses an erase over its limit', () => {
    expect(() => islands(dims, labels, { classIndex: 1, mode: 'smaller-than', minVoxels: 100, plane: null }, 10)).toThrow(/more than 10 voxels/);
  });
});
