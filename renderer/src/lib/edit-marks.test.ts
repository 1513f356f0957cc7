import { describe, expect, it } from 'vitest';
import { HumanEdit } from '../../../common/contract/segmentation';
import { writeMarks } from './edit-marks';

describe('the human-edit marks the renderer keeps', () => {
  const dims = [4, 3, 2] as const;

  it('costs nothing until a voxel is marked', () => {
    expect(writeMarks(null, dims, 2, Uint32Array.from([1, 2]), new Uint8Array(2))).toEqual({ volume: null, changed: 0 });
  });

  it('follows each change: marked, changed mark, cleared (an undo)', () => {
    const first = writeMarks(null, dims, 2, Uint32Array.from([1, 13]), Uint8Array.from([HumanEdit.changed, HumanEdit.erased]));
    expect(first.changed).toBe(2);
    const v = first.volume!;
    expect(Array.from(v.labels)).toEqual(Array.from({ length: 24 }, (_, i) => (i === 1 ? 1 : i === 13 ? 2 : 0)));
    const clock = v.clock;
    expect(writeMarks(v, dims, 2, Uint32Array.from([13]), Uint8Array.from([HumanEdit.none]))).toEqual({ volume: v, changed: 1 });
    // Main confirming a mark the renderer holds already changes nothing (no new frame).
    expect(writeMarks(v, dims, 2, Uint32Array.from([1]), Uint8Array.from([HumanEdit.changed])).changed).toBe(0);
    expect(v.labels[13]).toBe(0);
    // Only the slice the change reached is stale for the views.
    expect(v.changedSince(2, 1, clock)).toBe(true);
    expect(v.changedSince(2, 0, clock)).toBe(false);
  });
});
