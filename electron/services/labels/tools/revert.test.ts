import { describe, expect, it } from 'vitest';
import { Source } from '../label-diff.js';
import { at } from '../testing/grids.js';
import { revertIndices } from './revert.js';

describe('revert a class on a slice', () => {
  it('returns the human-set voxels whose label or proposal is the class, on that slice only', () => {
    const dims = [4, 3, 2] as const;
    const n = 24;
    const labels = new Uint8Array(n);
    const source = new Uint8Array(n);
    const origin = new Uint8Array(n);
    const set = (i: number, label: number, src: number, proposal = 0): void => {
      labels[i] = label;
      source[i] = src;
      origin[i] = proposal;
    };
    set(at(dims, 0, 0, 1), 5, Source.human, 0); // painted class 5 on background: reverts
    set(at(dims, 1, 0, 1), 0, Source.human, 5); // erased class 5: reverts
    set(at(dims, 2, 0, 1), 3, Source.human, 5); // class 5 painted over with 3: reverts
    set(at(dims, 3, 0, 1), 5, Source.auto); // the model's class 5: untouched
    set(at(dims, 0, 1, 1), 3, Source.human, 2); // a human edit of other classes: untouched
    set(at(dims, 1, 1, 1), 5, Source.human, 5); // painted 5 over the proposed 5: reverts (source only)
    set(at(dims, 0, 0, 0), 5, Source.human, 0); // another slice
    const r = revertIndices(dims, labels, source, origin, { classIndex: 5, axis: 2, slice: 1 });
    expect(Array.from(r)).toEqual([at(dims, 0, 0, 1), at(dims, 1, 0, 1), at(dims, 2, 0, 1), at(dims, 1, 1, 1)]);
    expect(Array.from(revertIndices(dims, labels, source, origin, { classIndex: 5, axis: 0, slice: 0 }))).toEqual([at(dims, 0, 0, 0), at(dims, 0, 0, 1)]);
    expect(() => revertIndices(dims, labels, source, origin, { classIndex: 5, axis: 1, slice: 3 })).toThrow(/outside/);
  });
});
