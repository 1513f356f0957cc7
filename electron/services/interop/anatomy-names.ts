/**
 * Class names from other tools matched to the label schemas' classes, so known anatomy keeps its
 * SNOMED CT coding: a name matches a schema class when it equals the class key, display name or a
 * synonym ignoring case, punctuation and word order ("Right kidney", "kidney_right", "KIDNEY-RIGHT").
 * Unknown names are kept, coded Tissue by `segmentsFor`, and reported in one warning.
 */
import type { LabelSchema } from '../export/label-schema.js';

/** Lower-case words in sorted order: the form two names are compared in. */
export function nameKey(name: string): string {
  return name
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .sort()
    .join(' ');
}

/** Every name form of every schema class → its key. */
export function schemaNameIndex(schema: LabelSchema): Map<string, string> {
  const index = new Map<string, string>();
  for (const [key, c] of Object.entries(schema.classes)) {
    for (const n of [key, c.displayName, ...(c.synonyms ?? [])]) if (!index.has(nameKey(n))) index.set(nameKey(n), key);
  }
  return index;
}

/** The schema key a name stands for, if any. */
export const schemaKeyFor = (name: string, index: ReadonlyMap<string, string>): string | undefined => index.get(nameKey(name));

/**
 * The classes with each known name replaced by its schema key (which carries the coding), and a
 * warning naming the classes no schema knows.
 */
export function codeClassNames<T extends { readonly name: string }>(classes: readonly T[], schema: LabelSchema): { classes: T[]; warnings: string[] } {
  const index = schemaNameIndex(schema);
  const unknown: string[] = [];
  const out = classes.map((c) => {
    const key = schemaKeyFor(c.name, index);
    if (key === undefined && c.name !== 'background') unknown.push(c.name);
    return key === undefined ? c : { ...c, name: key };
  });
  const warnings: string[] = [];
  if (unknown.length > 0) {
    const list = unknown.length > 12 ? `${unknown.slice(0, 12).join(', ')} and ${unknown.length - 12} more` : unknown.join(', ');
    warnings.push(`${unknown.length} class${unknown.length === 1 ? ' is' : 'es are'} not in the label schemas (${list}): coded as Tissue (SNOMED CT 85756007) under ${unknown.length === 1 ? 'its' : 'their'} own name.`);
  }
  return { classes: out, warnings };
}
