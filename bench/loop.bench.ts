/**
 * The closed learning loop on the shared data (issue: export and the learning loop): a demo
 * model trained on one patient only (demo 0.2.0, example_ct_sm; native-models/fixtures/models/
 * demo-ct-sm; the shipped demo saw both labelled patients) pre-segments the DICOM series it never saw, the annotator corrects k slices (their
 * reference labels, painted through the API and marked reviewed), the slices go to the training
 * set, the model is fine-tuned on the CPU, and the new version re-segments the study. Dice on
 * the slices nobody corrected, before and after, per k and per way of picking the slices.
 *
 * `HSAM_LOOP_STEPS` sets the fine-tuning steps (default 200); `HSAM_LOOP_K` the k values (default 1,3,5).
 */
import { closedLoop } from '../test-support/closed-loop.js';
import type { BenchTable } from './table.js';

export async function run(): Promise<BenchTable> {
  const steps = Number(process.env['HSAM_LOOP_STEPS'] ?? 200);
  const ks = (process.env['HSAM_LOOP_K'] ?? '1,3,5').split(',').map(Number);
  const rows: (string | number)[][] = [];
  const perClass: string[] = [];
  for (const pick of ['even', 'uncertain'] as const) {
    for (const k of ks) {
      const r = await closedLoop({ k, steps, pick });
      rows.push([
        k,
        pick,
        r.corrected.map((z) => z).join(' '),
        r.evaluated.length,
        r.meanBefore.toFixed(3),
        r.meanAfter.toFixed(3),
        (r.meanAfter - r.meanBefore >= 0 ? '+' : '') + (r.meanAfter - r.meanBefore).toFixed(3),
        r.finetune.seconds.toFixed(0),
        r.finetune.version.baseline?.mean.toFixed(3) ?? '–',
        r.finetune.version.quality?.mean.toFixed(3) ?? '–',
      ]);
      perClass.push(
        `k=${k} ${pick}: ${Object.keys(r.before)
          .map((c) => `${c} ${r.before[c]!.toFixed(2)}→${(r.after[c] ?? 0).toFixed(2)}`)
          .join(', ')}`,
      );
    }
  }
  return {
    title: `Closed loop: demo 0.2.0 (trained on example_ct_sm only) on the unseen DICOM series (512×512×20), k corrected slices, ${steps} fine-tuning steps on the CPU`,
    columns: ['k', 'slices picked', 'corrected (z)', 'evaluated slices', 'Dice before', 'Dice after', 'gain', 'fine-tune s', 'held-out before', 'held-out after'],
    rows,
    notes: [
      'Dice: pooled per class over the slices nobody corrected, mean over the classes the reference has there (TotalSegmentator labels, not manual).',
      '"held-out": the trainer’s own comparison, old and new model on the training set’s held-out slice(s) (every 5th exported slice).',
      'Picked "uncertain": the app’s "next slice to review" (highest mean entropy of the demo’s proposal), corrected one after another.',
      ...perClass,
      'Target (issue): a clear Dice gain for k = 5.',
    ],
  };
}
