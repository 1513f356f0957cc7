import { describe, expect, it } from 'vitest';
import { at, block, sorted, volumeWith } from '../testing/grids.js';
import { polygonMask, scissors, type Point2 } from './scissors.js';
import { candidateFilter } from './threshold.js';

/** Reference: even-odd crossing test of one voxel centre, half-open like polygonMask. */
function insideRef(u: number, v: number, pts: readonly Point2[]): boolean {
  let inside = false;
  for (let k = 0, l = pts.length - 1; k < pts.length; l = k++) {
    const [uk, vk] = pts[k]!;
    const [ul, vl] = pts[l]!;
    if (vk <= v !== vl <= v && u < uk + ((v - vk) * (ul - uk)) / (vl - vk)) inside = !inside;
  }
  return inside;
}

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('scissors polygon', () => {
  it('an axis-aligned square covers the voxel centres in [lo, hi) along u and v', () => {
    const m = polygonMask(6, 5, [
      [1, 1],
      [4, 1],
      [4, 4],
      [1, 4],
    ]);
    const on: number[] = [];
    m.forEach((x, p) => x && on.push(p));
    expect(on).toEqual([1, 2, 3].flatMap((v) => [1, 2, 3].map((u) => u + 6 * v)));
  });

  it('matches an even-odd point test on random (self-intersecting, partly outside) polygons', () => {
    const rnd = lcg(3);
    for (let t = 0; t < 40; t++) {
      const pts: Point2[] = Array.from({ length: 3 + Math.floor(rnd() * 9) }, () => [rnd() * 40 - 5, rnd() * 30 - 5] as const);
      const m = polygonMask(30, 20, pts);
      const want = Uint8Array.from({ length: 600 }, (_, p) => (insideRef(p % 30, Math.floor(p / 30), pts) ? 1 : 0));
      expect(Array.from(m), `polygon ${t}`).toEqual(Array.from(want));
    }
  });

  it('rejects fewer than 3 points and non-finite ones', () => {
    expect(() => polygonMask(4, 4, [[0, 0], [1, 1]])).toThrow(/at least 3/);
    expect(() => polygonMask(4, 4, [[0, 0], [1, NaN], [2, 2]])).toThrow(/finite/);
  });
});

describe('scissors cut', () => {
  const dims = [8, 7, 5] as const;
  const tri: Point2[] = [
    [0.5, 0.5],
    [5.5, 0.5],
    [0.5, 5.5],
  ];
  // (u, v) on axis 0 are (j, k); voxel centres with u + v < 6 and u, v ≥ 1 lie inside.
  const triangle: [number, number][] = [];
  for (let v = 1; v <= 4; v++) for (let u = 1; u <= 5 - v; u++) triangle.push([u, v]);

  it('inside, on one slice of axis 0: (u, v) = (j, k)', () => {
    const labels = new Uint8Array(8 * 7 * 5);
    const r = scissors(dims, candidateFilter(labels, null, {}), { axis: 0, slice: 3, points: tri, side: 'inside', through: 'slice' }, 1e6);
    expect(sorted(r)).toEqual(sorted(triangle.map(([u, v]) => at(dims, 3, u, v))));
  });

  it('outside, through the volume, labelled voxels only (an erase)', () => {
    const organ = block(dims, [0, 0, 0], [7, 6, 1]); // two k-slices of class 4
    const labels = volumeWith((n) => new Uint8Array(n), dims, 0, [[organ, 4]]);
    const r = scissors(dims, candidateFilter(labels, null, { labelledOnly: true }), { axis: 0, slice: 3, points: tri, side: 'outside', through: 'volume' }, 1e6);
    const inside = new Set(triangle.map(([u, v]) => `${u},${v}`));
    expect(sorted(r)).toEqual(sorted(organ.filter((i) => !inside.has(`${Math.floor(i / 8) % 7},${Math.floor(i / 56)}`))));
  });

  it('refuses a cut over its limit', () => {
    const labels = new Uint8Array(8 * 7 * 5);
    const all: Point2[] = [
      [-1, -1],
      [99, -1],
      [99, 99],
      [-1, 99],
    ];
    expect(() => scissors(dims, candidateFilter(labels, null, {}), { axis: 2, slice: 0, points: all, side: 'inside', through: 'volume' }, 100)).toThrow(/more than 100 voxels/);
    expect(() => scissors(dims, candidateFilter(labels, null, {}), { axis: 2, slice: 5, points: all, side: 'inside', through: 'slice' }, 100)).toThrow(/Slice 5 is outside/);
  });
});
