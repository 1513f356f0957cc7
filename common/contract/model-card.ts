/**
 * model.json, the card beside a model's ONNX graphs: the one definition of the format that the
 * Python exporter (native-models/hsam/card.py) writes and the workstation reads. Its JSON
 * Schema is generated from this file (modelCardJsonSchema) into
 * native-models/schemas/model-card.schema.json for the Python side; model-card.test.ts keeps
 * the committed file equal to it.
 *
 * Rejected on load: another format tag, class indices that are not 0..N-1 in order, an input
 * that is not [batch, 3, S, S] float32, outputs whose class count differs from the classes.
 */
import { z } from 'zod';

export const MODEL_CARD_FORMAT = 'hsam-model-card/1';

const rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);
const dim = z.union([z.literal('batch'), z.number().int().positive()]);

/** Patient direction a pixel index increases toward (DICOM letters). */
export const PatientDirection = z.enum(['L', 'R', 'A', 'P', 'S', 'I']);
export type PatientDirection = z.infer<typeof PatientDirection>;

const FileEntry = z.object({ path: z.string().regex(/^[^/\\]+$/, 'a file name inside the model folder'), bytes: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const Preprocessing = z.object({
  /** Source values (HU for CT) clipped to this range… */
  window: z.tuple([z.number(), z.number()]),
  /** …then mapped linearly onto this range. */
  range: z.tuple([z.number(), z.number()]),
  /** The same, as a formula, for people. */
  scale: z.string(),
  /** Which way the model's columns and rows run in the patient, e.g. columns toward R, rows toward A. */
  orientation: z.object({ columns: PatientDirection, rows: PatientDirection, description: z.string().optional() }),
  /** How slices of another size reach the model's input size. */
  resize: z.string(),
});
export type Preprocessing = z.infer<typeof Preprocessing>;

/**
 * Another precision of the same model's graphs (optional; cards without it are fp32 only). The
 * app runs `int8` on the CPU, fp32 on a GPU. `measured`: speed and accuracy against fp32, as
 * whoever measured them wrote them (null when nobody did).
 */
export const ModelVariant = z.object({
  encoder: FileEntry,
  decoder: FileEntry,
  device: z.literal('cpu'),
  weights: z.string(),
  activations: z.string(),
  measured: z.record(z.string(), z.unknown()).nullable(),
  /** The command that wrote the graphs, when not the card's own. */
  command: z.string().optional(),
});
export type ModelVariant = z.infer<typeof ModelVariant>;

export const ModelCard = z
  .object({
    format: z.literal(MODEL_CARD_FORMAT),
    name: z.string().min(1),
    version: z.string().min(1),
    description: z.string(),
    architecture: z.object({ family: z.literal('H-SAM'), size: z.string(), config: z.record(z.string(), z.unknown()), loraRank: z.number().int().min(0) }),
    input: z.object({
      name: z.literal('image'),
      dtype: z.literal('float32'),
      shape: z.tuple([z.literal('batch'), z.literal(3), z.number().int().positive(), z.number().int().positive()]),
      size: z.number().int().positive(),
      layout: z.string(),
    }),
    /** Keyed by DICOM modality (CT, MR); a modality without an entry is refused. */
    preprocessing: z.record(z.string(), Preprocessing),
    outputs: z.object({
      embeddings: z.object({ dtype: z.literal('float32'), shape: z.array(dim).length(4), meaning: z.string() }),
      logits: z.object({ dtype: z.literal('float32'), shape: z.array(dim).length(4), meaning: z.string() }),
      /** Cards written before the decoder lost its argmax (the app never fetched it). */
      labels: z.object({ dtype: z.literal('uint8'), shape: z.array(dim).length(3), meaning: z.string() }).optional(),
    }),
    /** Index 0 is background; indices run 0..N-1 in order. */
    classes: z.array(z.object({ index: z.number().int().min(0), name: z.string().min(1), color: rgb })).min(2).max(255),
    files: z.object({
      encoder: FileEntry,
      decoder: FileEntry,
      checkpoint: FileEntry.optional(),
      /** The app's slice preprocessing as a graph (window, resize to S, 3 channels); JavaScript does it when absent. */
      preprocess: FileEntry.optional(),
      /** The app's slice post-processing as a graph (softmax, resize to the slice, argmax, uncertainty); JavaScript does it when absent. */
      postprocess: FileEntry.optional(),
    }),
    provenance: z.record(z.string(), z.unknown()),
    /** Measured quality, or null when nobody measured it. */
    quality: z
      .object({ metric: z.string(), heldOut: z.unknown(), perClass: z.record(z.string(), z.number()), mean: z.number(), notes: z.string() })
      .nullable(),
    variants: z.object({ int8: ModelVariant.optional() }).optional(),
  })
  .superRefine((card, ctx) => {
    card.classes.forEach((c, i) => {
      if (c.index !== i) ctx.addIssue({ code: 'custom', path: ['classes', i, 'index'], message: `expected index ${i}, found ${c.index}` });
    });
    const s = card.input.size;
    if (card.input.shape[2] !== s || card.input.shape[3] !== s) {
      ctx.addIssue({ code: 'custom', path: ['input', 'shape'], message: `must be [batch, 3, ${s}, ${s}]` });
    }
    const n = card.outputs.logits.shape[1];
    if (n !== card.classes.length) {
      ctx.addIssue({ code: 'custom', path: ['outputs', 'logits', 'shape'], message: `${String(n)} channels but ${card.classes.length} classes` });
    }
  });
export type ModelCard = z.infer<typeof ModelCard>;

/**
 * The card as JSON Schema (draft 2020-12), committed as native-models/schemas/model-card.schema.json
 * (`npx vitest run common/contract -u` rewrites it). io 'input': what a reader accepts (unknown
 * keys allowed, as zod strips them). z.toJSONSchema leaves the superRefine rules out without
 * complaint, so $comment names them; `z.unknown()` fields (config, provenance, quality.heldOut)
 * become `{}` (anything), which is what they mean. Nothing here is unrepresentable, so
 * `unrepresentable` stays 'throw' and a field JSON Schema cannot state fails the test.
 */
export function modelCardJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(ModelCard, { io: 'input', unrepresentable: 'throw' });
  return {
    $schema,
    title: `H-SAM model card (${MODEL_CARD_FORMAT})`,
    $comment:
      'Generated from common/contract/model-card.ts by z.toJSONSchema; do not edit. Also required, not expressible here: classes[i].index is i; input.shape is [batch, 3, size, size]; outputs.logits.shape[1] equals the number of classes.',
    ...rest,
  };
}
