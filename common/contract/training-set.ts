/**
 * The few-shot training set (`hsam-trainset/1`): the one definition of the manifest that the
 * workstation writes and the Python trainer (native-models/hsam/data.py) reads. A set is a
 * folder with manifest.json, train.txt, val.txt and one .npz per slice (`image` float32 H×W
 * already preprocessed as the model card says, `label` uint8 H×W with the card's classes).
 *
 * Rejected on read: another format tag, class lists that are not 0..N-1 in order starting with
 * background, slice rows without a file name or with a path in it, duplicate (study, slice).
 * Golden and negative manifests in native-models/fixtures/trainset/ are checked against this
 * schema (training-set.test.ts) and against data.py's reader (tests/test_trainset_fixtures.py).
 */
import { z } from 'zod';

export const TRAINSET_FORMAT = 'hsam-trainset/1';

export const TrainingSlice = z.object({
  /** The slice's .npz, a plain file name inside the set folder. */
  file: z.string().regex(/^[^/\\]+\.npz$/, 'a .npz file name inside the set folder'),
  /** Stable id of the source study (DICOM series UID, or a hash of the file's path). */
  study: z.string(),
  /** Display name of the study (file or series name); optional for sets written elsewhere. */
  studyName: z.string().optional(),
  /** Slice index along the model's slice axis, in the model's frame. */
  sliceIndex: z.number().int(),
  /** The model version whose proposal the human corrected, or null when drawn from scratch. */
  proposedBy: z.object({ name: z.string(), version: z.string() }).nullable(),
  /** ISO 8601 time the slice was exported. */
  time: z.string(),
  /** Classes a human changed on this slice (0: voxels erased to background). */
  correctedClasses: z.array(z.number().int().min(0).max(255)),
  /** Review status when exported. */
  status: z.enum(['corrected', 'reviewed']).optional(),
});
export type TrainingSlice = z.infer<typeof TrainingSlice>;

export const TrainingSetManifest = z
  .object({
    format: z.literal(TRAINSET_FORMAT),
    id: z.string().min(1),
    created: z.string(),
    modality: z.string(),
    classes: z.array(z.object({ index: z.number().int().min(0), name: z.string().min(1) })).min(2),
    slices: z.array(TrainingSlice),
  })
  .superRefine((m, ctx) => {
    m.classes.forEach((c, i) => {
      if (c.index !== i) ctx.addIssue({ code: 'custom', path: ['classes', i, 'index'], message: `expected index ${i}, found ${c.index}` });
    });
    if (m.classes[0]?.name !== 'background') ctx.addIssue({ code: 'custom', path: ['classes', 0, 'name'], message: 'class 0 must be background' });
    const seen = new Set<string>();
    m.slices.forEach((s, i) => {
      const key = `${s.study}#${s.sliceIndex}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['slices', i], message: `slice ${s.sliceIndex} of study ${s.study} is listed twice` });
      seen.add(key);
    });
  });
export type TrainingSetManifest = z.infer<typeof TrainingSetManifest>;

/**
 * The manifest as JSON Schema (draft 2020-12), committed as
 * native-models/schemas/trainset-manifest.schema.json for readers without zod; a test keeps the
 * file equal to this (`npx vitest run common/contract -u` rewrites it). It states what a reader
 * accepts (io 'input': unknown keys are allowed, as zod strips them). z.toJSONSchema leaves the
 * superRefine rules out without complaint (JSON Schema cannot compare an index with its position
 * or find duplicate pairs), so $comment names them and data.py checks them itself. Nothing else
 * here is unrepresentable, so `unrepresentable` stays 'throw': a field added that JSON Schema
 * cannot state fails the test instead of turning into an accept-anything `{}`.
 */
export function trainingSetJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(TrainingSetManifest, { io: 'input', unrepresentable: 'throw' });
  return {
    $schema,
    title: `H-SAM training-set manifest (${TRAINSET_FORMAT})`,
    $comment:
      'Generated from common/contract/training-set.ts by z.toJSONSchema; do not edit. Also required, not expressible here: classes[i].index is i, classes[0].name is "background", no two slices share (study, sliceIndex).',
    ...rest,
  };
}
