/**
 * A label file's classes matched to the loaded model's: by name, ignoring case, punctuation and
 * word order, through the label schemas (a file's "Right kidney" is the model's kidney_right, and
 * so is a schema synonym). Classes the model lacks get new values above every value the model
 * and the study already use, so they never merge with a model class.
 */
import type { ImportedClass } from '../../../common/contract/label-import.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { ModelClass } from '../../../common/contract/segmentation.js';
import type { LabelSchema } from '../export/label-schema.js';
import { nameKey, schemaKeyFor, schemaNameIndex } from './anatomy-names.js';
import { colourFor, type TableClass } from './table-class.js';

export interface ClassMatch {
  /** File value → study value (0 stays 0). */
  readonly lut: Uint8Array;
  readonly classes: ImportedClass[];
  readonly extra: ModelClass[];
}

/** `used`: values present in the study's labels (an earlier import's extra classes among them). */
export function matchClasses(file: readonly TableClass[], model: readonly ModelClass[], schema: LabelSchema, used: ReadonlySet<number>): ClassMatch {
  const index = schemaNameIndex(schema);
  // A name's identity: its schema class when the schemas know it, else its own words.
  const identity = (name: string): string => schemaKeyFor(name, index) ?? `name:${nameKey(name)}`;
  const byIdentity = new Map<string, number>();
  for (const c of model) if (c.index > 0 && !byIdentity.has(identity(c.name))) byIdentity.set(identity(c.name), c.index);
  let next = Math.max(0, ...model.map((c) => c.index), ...used) + 1;
  const lut = new Uint8Array(256);
  const classes: ImportedClass[] = [];
  const extra: ModelClass[] = [];
  const extraByIdentity = new Map<string, number>();
  for (const c of file) {
    const id = identity(c.name);
    let target = byIdentity.get(id);
    const matched = target !== undefined ? 'model' : 'extra';
    if (target === undefined) {
      target = extraByIdentity.get(id);
      if (target === undefined) {
        if (next > 255) throw new UserFacingError('invalid-argument', `The file has more classes than fit beside the model's: label values run out at 255 (${c.name} would need ${next}).`);
        target = next++;
        extraByIdentity.set(id, target);
        extra.push({ index: target, name: c.name, color: c.color ?? colourFor(target) });
      }
    }
    lut[c.value] = target;
    classes.push({ fileValue: c.value, name: c.name, index: target, matched });
  }
  return { lut, classes, extra };
}
