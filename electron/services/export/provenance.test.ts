import { describe, expect, it } from 'vitest';
import { Source } from '../labels/label-diff.js';
import { algorithmType, classProvenance } from './provenance.js';

describe('per-class provenance', () => {
  // Voxels: model liver kept; model liver erased by a human; model spleen turned into stomach;
  // a human-drawn aorta where the model proposed nothing; a human repainting liver as liver.
  const labels = Uint8Array.from([5, 0, 6, 7, 5]);
  const source = Uint8Array.from([Source.auto, Source.human, Source.human, Source.human, Source.human]);
  const origin = Uint8Array.from([0, 5, 1, 0, 5]);
  const p = classProvenance(labels, source, origin);

  it('counts proposed and human-changed voxels per class', () => {
    expect(p[5]).toEqual({ voxels: 2, proposed: 3, humanChanged: 1 });
    expect(p[1]).toEqual({ voxels: 0, proposed: 1, humanChanged: 1 });
    expect(p[7]).toEqual({ voxels: 1, proposed: 0, humanChanged: 1 });
  });

  it('names untouched, corrected (an erase included) and drawn classes', () => {
    expect(algorithmType(p[5]!)).toBe('SEMIAUTOMATIC');
    expect(algorithmType(p[6]!)).toBe('MANUAL');
    expect(algorithmType(p[7]!)).toBe('MANUAL');
    expect(algorithmType(classProvenance(labels, source, origin, [0])[5]!)).toBe('AUTOMATIC');
  });
});
