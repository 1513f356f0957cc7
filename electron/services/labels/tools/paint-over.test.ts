import { describe, expect, it } from 'vitest';
import { keepOverwritable, paintOverMask } from './paint-over.js';

const allowed = (m: Uint8Array): number[] => [...m.keys()].filter((c) => m[c] === 1);

describe('paint-over rule', () => {
  it('by default a paint replaces only background and its own class; an erase any class', () => {
    expect(allowed(paintOverMask(undefined, 5))).toEqual([0, 5]);
    expect(allowed(paintOverMask('nothing', 5))).toEqual([0, 5]);
    expect(allowed(paintOverMask('nothing', 0))).toHaveLength(256);
  });
  it('background, all and one chosen label', () => {
    expect(allowed(paintOverMask('background', 5))).toEqual([0]);
    expect(allowed(paintOverMask('all', 5))).toHaveLength(256);
    expect(allowed(paintOverMask({ label: 2 }, 5))).toEqual([0, 2, 5]);
    expect(allowed(paintOverMask({ label: 2 }, 0))).toEqual([2]);
  });
  it('keeps the overwritable indices in order', () => {
    const labels = Uint8Array.from([0, 2, 5, 3, 0]);
    expect(Array.from(keepOverwritable(Uint32Array.from([4, 3, 2, 1, 0]), labels, paintOverMask(undefined, 5)))).toEqual([4, 2, 0]);
  });
});
