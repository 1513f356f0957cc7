import { describe, expect, it } from 'vitest';
import { vetoed } from './brush';
import { LabelVolume } from './label-volume';

describe('LabelVolume', () => {
  it('keeps per-class counts equal to a recount through every write', () => {
    const labels = new Uint8Array(1000);
    labels.fill(2, 0, 100);
    const v = new LabelVolume(labels);
    expect(v.counts()[2]).toBe(100);
    v.write(Uint32Array.of(0, 1, 500, 500), 5);
    v.write([500, 999], Uint8Array.of(0, 7));
    const recount = new Float64Array(256);
    for (const l of labels) recount[l]!++;
    expect(v.counts()).toEqual(recount);
    expect([recount[2], recount[5], recount[7], recount[0]]).toEqual([98, 2, 1, 899]);
  });

  it('logs the voxels it changed for one reader, and gives up on listing past an eighth of the volume', () => {
    const v = new LabelVolume(new Uint8Array(800));
    v.write(Uint32Array.of(4, 5), 1);
    v.write(Uint32Array.of(4), 1); // no change: not logged
    expect(Array.from(v.takeTouched() ?? [])).toEqual([4, 5]);
    expect(v.takeTouched()?.length).toBe(0);
    v.write(Uint32Array.from({ length: 101 }, (_, i) => i + 100), 3);
    expect(v.takeTouched()).toBeNull();
    expect(v.takeTouched()?.length).toBe(0);
  });
});

describe('vetoed', () => {
  it('lists the painted voxels main did not change, with their values from before the paint', () => {
    const back = vetoed(Uint32Array.of(10, 11, 12), Uint8Array.of(0, 4, 0), Uint32Array.of(10, 12));
    expect(Array.from(back.indices)).toEqual([11]);
    expect(Array.from(back.values)).toEqual([4]);
  });
});
