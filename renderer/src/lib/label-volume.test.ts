import { describe, expect, it } from 'vitest';
import { vetoed } from './brush';
import { LabelVolume } from './label-volume';

describe('LabelVolume', () => {
  it('keeps per-class counts equal to a recount through every write', () => {
    const labels = new Uint8Array(1000);
    labels.fill(2, 0, 100);
    const v = new LabelVolume(labels, [10, 10, 10], 2);
    expect(v.counts()[2]).toBe(100);
    v.write(Uint32Array.of(0, 1, 500, 500), 5);
    v.write([500, 999], Uint8Array.of(0, 7));
    const recount = new Float64Array(256);
    for (const l of labels) recount[l]!++;
    expect(v.counts()).toEqual(recount);
    expect([recount[2], recount[5], recount[7], recount[0]]).toEqual([98, 2, 1, 899]);
  });

  it('logs the voxels it changed for one reader, and gives up on listing past an eighth of the volume', () => {
    const v = new LabelVolume(new Uint8Array(800), [10, 10, 8], 2);
    expect(v.write(Uint32Array.of(4, 5), 1)).toBe(2);
    expect(v.write(Uint32Array.of(4), 1)).toBe(0); // no change: not logged, nothing to redraw
    expect(Array.from(v.takeTouched() ?? [])).toEqual([4, 5]);
    expect(v.takeTouched()?.length).toBe(0);
    v.write(Uint32Array.from({ length: 101 }, (_, i) => i + 100), 3);
    expect(v.takeTouched()).toBeNull();
    expect(v.takeTouched()?.length).toBe(0);
  });
});

describe('LabelVolume.changedSince', () => {
  it('says which slices along each axis a write changed, for a reader that remembers the clock', () => {
    const dims = [4, 3, 6] as const;
    const at = (i: number, j: number, k: number): number => i + 4 * (j + 3 * k);
    const v = new LabelVolume(new Uint8Array(72), [...dims], 2);
    const seen = v.clock;
    v.write(Uint32Array.of(at(1, 2, 5), at(3, 0, 2)), 4);
    v.write(Uint32Array.of(at(0, 1, 1)), 0); // already 0: changes nothing
    const changed = (axis: 0 | 1 | 2, since: number): number[] =>
      Array.from({ length: dims[axis] }, (_, s) => s).filter((s) => v.changedSince(axis, s, since));
    expect(changed(0, seen)).toEqual([1, 3]);
    expect(changed(1, seen)).toEqual([0, 2]);
    expect(changed(2, seen)).toEqual([2, 5]);
    const later = v.clock;
    expect(changed(2, later)).toEqual([]);
    v.write([at(3, 0, 2)], Uint8Array.of(0));
    expect([changed(0, later), changed(1, later), changed(2, later)]).toEqual([[3], [0], [2]]);
  });
});

describe('LabelVolume.hasClass', () => {
  const dims = [4, 3, 6] as const;
  const at = (i: number, j: number, k: number): number => i + 4 * (j + 3 * k);
  const brute = (labels: Uint8Array, axis: 0 | 1 | 2, s: number, cls: number): boolean => {
    for (let k = 0; k < 6; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) if ([i, j, k][axis] === s && labels[at(i, j, k)] === cls) return true;
    return false;
  };

  it('answers like a scan of the slice, along every axis, before and after writes', () => {
    for (const axis of [0, 1, 2] as const) {
      const labels = new Uint8Array(72);
      labels[at(1, 1, 1)] = 5;
      labels[at(2, 0, 4)] = 5;
      labels[at(3, 2, 3)] = 2;
      const v = new LabelVolume(labels, dims, axis);
      const check = (): void => {
        for (let s = 0; s < dims[axis]; s++) for (const cls of [0, 2, 5, 7]) expect(v.hasClass(s, cls), `axis ${axis} slice ${s} class ${cls}`).toBe(brute(labels, axis, s, cls));
      };
      check();
      v.write([at(1, 1, 1), at(0, 2, 5)], Uint8Array.of(0, 7));
      check();
    }
  });
});

describe('vetoed', () => {
  it('lists the painted voxels main did not change, with their values from before the paint', () => {
    const back = vetoed(Uint32Array.of(10, 11, 12), Uint8Array.of(0, 4, 0), Uint32Array.of(10, 12));
    expect(Array.from(back.indices)).toEqual([11]);
    expect(Array.from(back.values)).toEqual([4]);
  });
});
