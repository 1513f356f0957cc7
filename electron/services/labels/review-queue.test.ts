import { describe, expect, it } from 'vitest';
import { nextToReview } from './review-queue.js';
import { SliceStatus } from './step.js';

describe('next slice to review', () => {
  const { untouched, auto, corrected, reviewed } = SliceStatus;

  it('offers the most uncertain proposed slice nobody has handled, then the next', () => {
    const u = [0.1, 0.5, 0.9, 0.7, NaN, 0.7];
    const status = Uint8Array.from([auto, auto, corrected, auto, untouched, auto]);
    expect(nextToReview(u, status)).toEqual({ slice: 3, uncertainty: 0.7, rank: 1, remaining: 4 });
    status[3] = reviewed;
    expect(nextToReview(u, status)).toEqual({ slice: 5, uncertainty: 0.7, rank: 1, remaining: 3 });
  });

  it('says none is left when every proposed slice is handled or never ran', () => {
    expect(nextToReview([NaN, 0.2], Uint8Array.from([auto, reviewed]))).toBeNull();
  });
});
