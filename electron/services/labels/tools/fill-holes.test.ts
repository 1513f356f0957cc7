import { describe, expect, it } from 'vitest';
import { at, block, sorted, volumeWith } from '../testing/grids.js';
import { fillHoles } from './fill-holes.js';

const dims = [10, 9, 7] as const;
/** A hollow box: its shell from lo to hi, and its inside. */
function shell(lo: readonly [number, number, number], hi: readonly [number, number, number], openK = false): { wall: number[]; inside: number[] } {
  const inner = new Set(block(dims, [lo[0] + 1, lo[1] + 1, openK ? lo[2] : lo[2] + 1], [hi[0] - 1, hi[1] - 1, openK ? hi[2] : hi[2] - 1]));
  const all = block(dims, lo, hi);
  return { wall: all.filter((i) => !inner.has(i)), inside: all.filter((i) => inner.has(i)) };
}

describe('fill holes', () => {
  it('3D: fills the inside of a closed shell, keeping another class inside it', () => {
    const { wall, inside } = shell([2, 2, 1], [6, 6, 5]);
    const vessel = at(dims, 4, 4, 3);
    const labels = volumeWith((n) => new Uint8Array(n), dims, 0, [
      [wall, 1],
      [[vessel], 2],
    ]);
    expect(sorted(fillHoles(dims, labels, { classIndex: 1, plane: null }, 1e6))).toEqual(sorted(inside.filter((i) => i !== vessel)));
  });

  it('a tube (open along k) has no hole in 3D, but one per slice in 2D along k, and none along i', () => {
    const { wall, inside } = shell([2, 2, 1], [6, 6, 5], true);
    const labels = volumeWith((n) => new Uint8Array(n), dims, 0, [[wall, 1]]);
    expect(fillHoles(dims, labels, { classIndex: 1, plane: null }, 1e6).length).toBe(0);
    expect(sorted(fillHoles(dims, labels, { classIndex: 1, plane: { axis: 2, slice: null } }, 1e6))).toEqual(sorted(inside));
    expect(sorted(fillHoles(dims, labels, { classIndex: 1, plane: { axis: 2, slice: 3 } }, 1e6))).toEqual(block(dims, [3, 3, 3], [5, 5, 3]));
    expect(fillHoles(dims, labels, { classIndex: 1, plane: { axis: 0, slice: null } }, 1e6).length).toBe(0);
  });

  it('2D: a ring with a one-voxel gap is not closed; a diagonal-only gap is (4-connected background)', () => {
    const ring = (lo: number, hi: number, k: number): number[] =>
      block(dims, [lo, lo, k], [hi, hi, k]).filter((i) => {
        const x = i % 10;
        const y = Math.floor(i / 10) % 9;
        return x === lo || x === hi || y === lo || y === hi;
      });
    const gap = at(dims, 1, 3, 0);
    const open = volumeWith((n) => new Uint8Array(n), dims, 0, [[ring(1, 5, 0).filter((i) => i !== gap), 1]]);
    expect(fillHoles(dims, open, { classIndex: 1, plane: { axis: 2, slice: 0 } }, 1e6).length).toBe(0);
    // A diamond of 4 voxels around (4, 4): the centre's face neighbours are all class 1.
    const diamond = [at(dims, 3, 4, 0), at(dims, 5, 4, 0), at(dims, 4, 3, 0), at(dims, 4, 5, 0)];
    const d = volumeWith((n) => new Uint8Array(n), dims, 0, [[diamond, 1]]);
    expect(Array.from(fillHoles(dims, d, { classIndex: 1, plane: { axis: 2, slice: 0 } }, 1e6))).toEqual([at(dims, 4, 4, 0)]);
  });

  it('a class touching the volume border: what the border closes off is not a hole', () => {
    // An L of class 1 in the corner of slice 0: the pocket between it and the border is open.
    const l = [...block(dims, [0, 2, 0], [2, 2, 0]), ...block(dims, [2, 0, 0], [2, 1, 0])];
    const labels = volumeWith((n) => new Uint8Array(n), dims, 0, [[l, 1]]);
    expect(fillHoles(dims, labels, { classIndex: 1, plane: { axis: 2, slice: 0 } }, 1e6).length).toBe(0);
    expect(fillHoles(dims, labels, { classIndex: 5, plane: null }, 1e6).length).toBe(0); // absent class: nothing
  });
});
