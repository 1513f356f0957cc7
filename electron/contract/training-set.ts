/**
 * The few-shot training set (`hsam-trainset/1`): the one definition of the manifest that the
 * workstation writes and the Python trainer (native-models/hsam/data.py) reads. A set is a
 * folder with manifest.json, train.txt, val.txt and one .npz per slice (`image` float32 H×W
 * already preprocessed as the model card says, `label` uint8 H×W with the card's classes).
 *
 * Rejected on read: another format tag, class lists that are not 0..N-1 in order starting with
 * background, slice rows without a file name or with a path in it, duplicate (study, slice).
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
