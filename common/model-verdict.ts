/**
 * Whether a fine-tuned version is worse than the model it came from, judged on the same held-out
 * slices (its training set's held-out split, never trained on). A worse version is flagged and
 * not offered as an equal choice (issue 16).
 */
import type { ModelVersion } from './contract/learning.js';

export interface Verdict {
  readonly worse: boolean;
  /** One sentence for the user: what was measured, against what, and the two scores. */
  readonly sentence: string | null;
}

export function versionVerdict(v: ModelVersion): Verdict {
  if (!v.quality || !v.baseline || !v.parent) return { worse: false, sentence: null };
  const slices = v.trainingSet ? `the held-out slices of training set ${v.trainingSet.id}` : 'its held-out slices';
  const scores = `mean Dice ${v.quality.mean.toFixed(3)} vs ${v.parent.version}'s ${v.baseline.mean.toFixed(3)} on ${slices}, measured against your corrected labels`;
  const worse = v.quality.mean < v.baseline.mean;
  return { worse, sentence: worse ? `Worse than ${v.parent.version}: ${scores}.` : `${v.version}: ${scores}.` };
}
