/**
 * The labels an annotator adds to the model's classes (a lesion, a vessel the model does not
 * know): a value, a name and a colour each. They are painted and exported like the model's
 * classes, kept across studies, and no model run ever writes or overwrites them.
 */
import { z } from 'zod';

const channel = z.number().int().min(0).max(255);

export const ExtraLabel = z
  .object({
    /** The label value in the label map; above the model's classes. */
    index: z.number().int().min(1).max(255),
    name: z.string().trim().min(1).max(64),
    color: z.tuple([channel, channel, channel]),
  })
  .strict();
export type ExtraLabel = z.infer<typeof ExtraLabel>;

export const LabelSet = z
  .object({ extra: z.array(ExtraLabel).max(200) })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    for (const [i, l] of s.extra.entries()) {
      const key = l.name.toLowerCase();
      if (seen.has(key) || seen.has(`#${l.index}`)) ctx.addIssue({ code: 'custom', path: ['extra', i], message: `label "${l.name}" (${l.index}) is listed twice` });
      seen.add(key).add(`#${l.index}`);
    }
  });
export type LabelSet = z.infer<typeof LabelSet>;
