import { describe, expect, it } from 'vitest';
import { at, block, sorted, volumeWith } from '../testing/grids.js';
import { regionGrow } from './region-grow.js';
import { candidateFilter } from './threshold.js';

const dims = [10, 9, 8] as const;
const cube = block(dims, [2, 2, 2], [4, 4, 4]);
// Touches the cube along an edge only (not a face): 6-connectivity must not reach it.
const diagonal = block(dims, [5, 5, 2], [6, 6, 4]);
const image = volumeWith((n) => new Int16Array(n), dims, -100, [
  [cube, 100],
  [diagonal, 100],
]);
const empty = new Uint8Array(image.length);
const grow = (labels: Uint8Array, range: [number, number], seed: [number, number, number], axis: 0 | 1 | 2 | null, opts: { within?: number; maxVoxels?: number } = {}) =>
  regionGrow(dims, candidateFilter(labels, image, { range, within: opts.within }), { seed, axis, maxVoxels: opts.maxVoxels ?? 1e6 });

describe('region grow', () => {
  it('3D: exactly the face-connected voxels in range', () => {
    expect(sorted(grow(empty, [50, 150], [3, 3, 3], null))).toEqual(sorted(cube));
  });

  it('2D: stays in the seed’s slice along each axis', () => {
    expect(sorted(grow(empty, [50, 150], [3, 3, 3], 2))).toEqual(block(dims, [2, 2, 3], [4, 4, 3]));
    expect(sorted(grow(empty, [50, 150], [2, 4, 3], 0))).toEqual(block(dims, [2, 2, 2], [2, 4, 4]));
    expect(sorted(grow(empty, [50, 150], [4, 2, 3], 1))).toEqual(sorted(block(dims, [2, 2, 2], [4, 2, 4])));
  });

  it('follows a winding path (no recursion limit)', () => {
    // A serpentine corridor filling a whole 200×200 slice: 20 000 voxels in one path.
    const d = [200, 200, 1] as const;
    const img = new Int16Array(200 * 200);
    for (let j = 0; j < 200; j += 2) for (let i = 0; i < 200; i++) img[i + 200 * j] = 1;
    for (let j = 1; j < 200; j += 2) img[(j % 4 === 1 ? 199 : 0) + 200 * j] = 1;
    const f = candidateFilter(new Uint8Array(img.length), img, { range: [1, 1] });
    const r = regionGrow(d, f, { seed: [0, 0, 0], axis: null, maxVoxels: 1e6 });
    expect(r.length).toBe(100 * 200 + 100);
  });

  it('limited to one class: does not cross voxels of another', () => {
    const wall = block(dims, [2, 2, 3], [4, 4, 3]); // the cube's middle slice belongs to class 7
    const labels = volumeWith((n) => new Uint8Array(n), dims, 0, [[wall, 7]]);
    expect(sorted(grow(labels, [50, 150], [3, 3, 2], null, { within: 0 }))).toEqual(block(dims, [2, 2, 2], [4, 4, 2]));
    expect(sorted(grow(labels, [50, 150], [3, 3, 3], null, { within: 7 }))).toEqual(wall);
  });

  it('rejects a seed outside the volume or the range, and a region over its limit', () => {
    expect(() => grow(empty, [50, 150], [10, 0, 0], null)).toThrow(/outside the volume/);
    expect(() => grow(empty, [50, 150], [0, 0, 0], null)).toThrow(/intensity \(-100\) is outside the range \[50, 150\]/);
    const labels = volumeWith((n) => new Uint8Array(n), dims, 0, [[[at(dims, 3, 3, 3)], 2]]);
    expect(() => grow(labels, [50, 150], [3, 3, 3], null, { within: 0 })).toThrow(/has class 2, not 0/);
    expect(() => grow(empty, [50, 150], [3, 3, 3], null, { maxVoxels: 26 })).toThrow(/grew past 26 voxels/);
    expect(grow(empty, [50, 150], [3, 3, 3], null, { maxVoxels: 27 }).length).toBe(27);
  });
});
