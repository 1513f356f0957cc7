/**
 * Label schemas: what a class name means outside the workstation. Per class name (as the model
 * card names it), a schema gives the display name, a recommended colour and the DICOM coding of
 * the segment: Segmented Property Category and Type, and a Type Modifier where DICOM wants one
 * (laterality of paired organs). The bundled schemas live in resources/label-schemas/.
 *
 * Invariant: `segmentsFor` gives every class a coded category and type. A class the schema does
 * not know is coded Tissue / Tissue (SCT 85756007, listed in CID 7150 and CID 7166) under its own
 * name, so an unknown class never fails an export.
 *
 * Rejected with a UserFacingError naming the file and the field: another format tag, a class name
 * that is not an identifier, a code whose value, scheme or meaning does not fit its DICOM VR
 * (SH 16, SH 16, LO 64 characters), a display name over 64 characters (LO), a colour outside 0..255.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { UserFacingError } from '../../../common/contract/result.js';
import { fileError } from '../storage/file-error.js';
import type { AlgorithmType, Code, ExportSegment } from './segments.js';

export const LABEL_SCHEMA_FORMAT = 'hsam-label-schema/1';

/** Characters DICOM forbids in SH and LO values: backslash (value separator) and controls. */
const text = (max: number): z.ZodString =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\\\p{Cc}]*$/u, 'no backslash or control characters');

const CodeSchema = z.strictObject({ value: text(16), scheme: text(16), meaning: text(64) });
const channel = z.number().int().min(0).max(255);

export const LabelSchemaClass = z.strictObject({
  /** Shown to people and written as the DICOM Segment Label. */
  displayName: text(64),
  /** sRGB, used when the class itself brings no colour. */
  color: z.tuple([channel, channel, channel]),
  category: CodeSchema,
  type: CodeSchema,
  typeModifier: CodeSchema.optional(),
  /** Other names other tools give the class ("gall bladder"); matched like the key, case-insensitively. */
  synonyms: z.array(text(64)).optional(),
});
export type LabelSchemaClass = z.infer<typeof LabelSchemaClass>;

export const LabelSchema = z.strictObject({
  format: z.literal(LABEL_SCHEMA_FORMAT),
  name: z.string().min(1),
  description: z.string(),
  /** Keyed by the class name a model card uses (e.g. "kidney_right"). */
  classes: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a class name: letters, digits, _ . -'), LabelSchemaClass),
});
export type LabelSchema = z.infer<typeof LabelSchema>;

/** Tissue / Tissue: the coding of a class no schema describes. */
export const GENERIC_CATEGORY: Code = { value: '85756007', scheme: 'SCT', meaning: 'Tissue' };
export const GENERIC_TYPE: Code = { value: '85756007', scheme: 'SCT', meaning: 'Tissue' };

/** Validate parsed JSON; `source` (a file name) goes into the message. */
export function parseLabelSchema(json: unknown, source: string): LabelSchema {
  const r = LabelSchema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new UserFacingError('unreadable', `${source} is not a valid label schema${where}: ${issue?.message ?? 'invalid'}.`);
}

export async function readLabelSchema(path: string): Promise<LabelSchema> {
  const name = basename(path);
  const raw = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw fileError(name, e);
  });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new UserFacingError('unreadable', `${name} is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  return parseLabelSchema(json, name);
}

/** A class as a model card (or a label file) lists it. */
export interface LabelClass {
  readonly index: number;
  readonly name: string;
  /** The colour the workstation showed; the schema's colour when absent. */
  readonly color?: readonly [number, number, number];
}

export interface SegmentsForOptions {
  readonly schema: LabelSchema;
  /** The model that proposed the labels; required when any class is not MANUAL. */
  readonly model?: { readonly name: string; readonly version: string };
}

/** Distinct fallback colours for classes neither the caller nor the schema colours. */
const FALLBACK_COLORS: readonly (readonly [number, number, number])[] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
];

/**
 * The export segments of the classes that have an algorithm type, in label-value order.
 * `algorithmTypes` maps class index to how that class came to be (the label session's
 * provenance); a class without an entry is left out (absent from the label map), and so is
 * background (index 0).
 */
export function segmentsFor(classes: readonly LabelClass[], algorithmTypes: ReadonlyMap<number, AlgorithmType>, opts: SegmentsForOptions): ExportSegment[] {
  const out: ExportSegment[] = [];
  for (const c of [...classes].sort((a, b) => a.index - b.index)) {
    const algorithmType = algorithmTypes.get(c.index);
    if (c.index === 0 || algorithmType === undefined) continue;
    if (!Number.isInteger(c.index) || c.index > 255) {
      throw new UserFacingError('invalid-argument', `Class "${c.name}" has index ${c.index}; label values run from 1 to 255.`);
    }
    const known = Object.hasOwn(opts.schema.classes, c.name) ? opts.schema.classes[c.name] : undefined;
    let algorithmName: string | undefined;
    if (algorithmType !== 'MANUAL') {
      if (!opts.model) throw new UserFacingError('internal', `Class "${c.name}" is ${algorithmType} but no model was named as its algorithm.`);
      algorithmName = `${opts.model.name} ${opts.model.version}`;
    }
    out.push({
      labelValue: c.index,
      name: known?.displayName ?? c.name,
      color: c.color ?? known?.color ?? (FALLBACK_COLORS[c.index % FALLBACK_COLORS.length] as readonly [number, number, number]),
      algorithmType,
      ...(algorithmName === undefined ? {} : { algorithmName }),
      category: known?.category ?? GENERIC_CATEGORY,
      type: known?.type ?? GENERIC_TYPE,
      ...(known?.typeModifier ? { typeModifier: known.typeModifier } : {}),
    });
  }
  return out;
}
