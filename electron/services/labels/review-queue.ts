/**
 * Active learning inside a study: which slice the annotator should look at next. Slices the
 * last model run proposed and nobody has corrected or reviewed yet, most uncertain first
 * (mean normalised entropy inside the predicted foreground, from the inference pipeline).
 */
import type { ReviewSuggestion } from '../../../common/contract/learning.js';
import { SliceStatus } from './step.js';

/**
 * The next slice to review, or null when every proposed slice has been handled. Ties keep
 * slice order, so the queue is stable while the annotator works through it.
 */
export function nextToReview(uncertainty: ArrayLike<number>, sliceStatus: Uint8Array): ReviewSuggestion | null {
  const open: number[] = [];
  for (let z = 0; z < sliceStatus.length; z++) {
    const u = uncertainty[z];
    if (sliceStatus[z] === SliceStatus.auto && u !== undefined && Number.isFinite(u)) open.push(z);
  }
  if (open.length === 0) return null;
  open.sort((a, b) => uncertainty[b]! - uncertainty[a]! || a - b);
  const slice = open[0]!;
  return { slice, uncertainty: uncertainty[slice]!, rank: 1, remaining: open.length };
}
