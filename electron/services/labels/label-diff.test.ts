import { describe, expect, it } from 'vitest';
import { makeDiff, makeSetDiff, Source } from './label-diff.js';

describe('makeSetDiff', () => {
  it('gives exactly what makeDiff gives for a paint, locked classes vetoed both ways', () => {
    let x = 11;
    const rnd = (m: number): number => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) % m);
    for (let t = 0; t < 50; t++) {
      const labels = Uint8Array.from({ length: 500 }, () => rnd(5));
      const source = Uint8Array.from({ length: 500 }, () => rnd(3));
      const indices = Uint32Array.from(new Set(Array.from({ length: rnd(400) }, () => rnd(500))));
      const locked = new Set(Array.from({ length: rnd(3) }, () => rnd(5)));
      const value = rnd(5);
      const want = makeDiff(labels, source, (emit) => indices.forEach((i) => emit(i, value, Source.human)), (_i, cur, next) => locked.has(cur) || locked.has(next));
      expect(makeSetDiff(labels, source, indices, value, Source.human, locked)).toEqual(want);
    }
  });
});
