import { describe, expect, it } from 'vitest';
import { labelName } from './hover';
import { LabelVolume } from './label-volume';

describe('labelName (the readout names the label under the cursor)', () => {
  const labels = new Uint8Array(2 * 2 * 2);
  const volume = new LabelVolume(labels, [2, 2, 2], 2);
  const classes = [
    { index: 2, name: 'kidney_right' },
    { index: 5, name: 'liver' },
  ];
  const at = (ijk: [number, number, number]) => ({ ijk, world: [0, 0, 0] as const, value: 0 });

  it('names the class of the hovered voxel, background where none, and follows edits', () => {
    expect(labelName(at([1, 0, 1]), volume, 0, classes)).toBe('background');
    volume.write([1 + 2 * (0 + 2 * 1)], 2);
    expect(labelName(at([1, 0, 1]), volume, 1, classes)).toBe('kidney right');
    volume.write([0], 9);
    expect(labelName(at([0, 0, 0]), volume, 2, classes)).toBe('class 9');
  });

  it('is null off the volume, without labels or without a pointer', () => {
    expect(labelName(at([2, 0, 0]), volume, 0, classes)).toBeNull();
    expect(labelName(at([0, 0, 0]), null, 0, classes)).toBeNull();
    expect(labelName(null, volume, 0, classes)).toBeNull();
  });
});
