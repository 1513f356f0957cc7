/**
 * The learning loop closes on real data: demo 0.2.0 (trained on example_ct_sm only; a fixture, as
 * the shipped demo saw both labelled patients) on the
 * DICOM series it never saw; five corrected slices go to the training set, a short CPU
 * fine-tune makes a new version, and on the fifteen slices nobody corrected Dice rises clearly.
 * `npm run bench -- loop` prints the full table (more steps, k = 1, 3, 5, two ways of picking).
 */
import { describe, expect, it } from 'vitest';
import { closedLoop } from '../../../test-support/closed-loop.js';

describe('closed loop: pre-segment → correct 5 slices → export → fine-tune → re-segment', () => {
  it('the new version does clearly better on the slices nobody corrected', async () => {
    const r = await closedLoop({ k: 5, steps: 60, pick: 'even' });
    console.log(`k=5, 60 steps: mean Dice ${r.meanBefore.toFixed(3)} → ${r.meanAfter.toFixed(3)} (fine-tune ${r.finetune.seconds.toFixed(0)} s)`, r.before, r.after);
    expect(r.corrected).toEqual([2, 6, 10, 14, 18]);
    expect(r.training).toMatchObject({ added: 5, replaced: 0, total: 5, heldOut: 1 });
    expect(r.progressEvents).toBeGreaterThan(60);
    expect(r.finetune.version.parent).toEqual({ name: 'hsam-tiny-demo', version: '0.2.0' });
    expect(r.finetune.version.trainingSet).toMatchObject({ slices: 5 });
    // The trainer's own held-out comparison says the same as the study does.
    expect(r.finetune.version.quality!.mean).toBeGreaterThan(r.finetune.version.baseline!.mean);
    expect(r.meanBefore).toBeLessThan(0.35);
    expect(r.meanAfter).toBeGreaterThan(r.meanBefore + 0.25);
    expect(r.after['liver']).toBeGreaterThan(r.before['liver']!);
    // 40–55 s on this project's 2-core machines; room for a slower one.
  }, 180_000);
});
