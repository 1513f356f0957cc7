import { describe, expect, it } from 'vitest';
import { flood, floodStack } from './flood.js';
import { bitset, IndexList, indexOf, sliceBox, subBox, volumeBox, type Box, type Dims } from './grid.js';
import { candidateFilter } from './threshold.js';

/** Reference: breadth-first search one voxel at a time, on volume coordinates. */
function reference(dims: Dims, box: Box, labels: Uint8Array, cls: number, seed: number): number[] {
  const inBox = new Map<number, number>();
  for (let p = 0; p < box.na * box.nb * box.nc; p++) inBox.set(indexOf(box, p), p);
  const done = new Set([seed]);
  const queue = [seed];
  const [nx, ny] = dims;
  while (queue.length) {
    const i = queue.shift()!;
    const [a, b, c] = [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))];
    const next = [a > 0 ? i - 1 : -1, a < nx - 1 ? i + 1 : -1, b > 0 ? i - nx : -1, b < ny - 1 ? i + nx : -1, c > 0 ? i - nx * ny : -1, c < dims[2] - 1 ? i + nx * ny : -1];
    for (const j of next) {
      if (j < 0 || done.has(j) || !inBox.has(j) || labels[j] !== cls) continue;
      done.add(j);
      queue.push(j);
    }
  }
  return [...done].sort((p, q) => p - q);
}

describe('span flood fill', () => {
  it('fills exactly the face-connected component, in 3D boxes, sub-boxes and slices of every axis', () => {
    let x = 5;
    const rnd = (): number => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const dims = [13, 11, 9] as const;
    let checked = 0;
    for (let t = 0; t < 30; t++) {
      const labels = Uint8Array.from({ length: 13 * 11 * 9 }, () => (rnd() < 0.55 ? 1 : 0));
      const axis = (t % 3) as 0 | 1 | 2;
      const boxes = [volumeBox(dims), sliceBox(dims, axis, t % 9), subBox(volumeBox(dims), [2, 1, 3], [10, 9, 7])];
      for (const box of boxes) {
        const size = box.na * box.nb * box.nc;
        const p = Math.floor(rnd() * size);
        const seed = indexOf(box, p);
        if (labels[seed] !== 1) continue;
        const out = new IndexList(size, () => 'too many');
        const n = flood(box, candidateFilter(labels, null, { within: 1 }), bitset(size), out, p, floodStack());
        const got = Array.from(out.toArray(), (q) => indexOf(box, q)).sort((a, b) => a - b);
        expect(n).toBe(got.length);
        expect(got).toEqual(reference(dims, box, labels, 1, seed));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
