/**
 * A class table from a JSON file of `{ "value": "name" }` (TotalSegmentator's class list), or
 * of several such tables under keys (`{ "total": {...}, "total_mr": {...} }`). `file.json#key`
 * picks a table by key; without a key, the one table that names every value of the label map
 * (TotalSegmentator's `total` for its CT maps, whose values pass `total_mr`'s 50); when several
 * do, the user must pick, since they name the same values differently.
 */
import { readFile } from 'node:fs/promises';
import type { ModelClass } from '../../../common/contract/segmentation.js';
import { ClassTableError, colourFor, type TableClass } from './table-class.js';

export { ClassTableError };

type Table = ReadonlyMap<number, string>;

function asTable(o: unknown): Table | undefined {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const t = new Map<number, string>();
  for (const [k, v] of Object.entries(o)) {
    const n = Number(k);
    if (!Number.isInteger(n) || n < 0 || n > 255 || typeof v !== 'string' || v === '') return undefined;
    t.set(n, v);
  }
  return t.size > 0 ? t : undefined;
}

/** The values the JSON table names (it must name every value present). */
export async function readJsonClassNames(spec: string, values: readonly number[]): Promise<TableClass[]> {
  const hash = spec.lastIndexOf('#');
  const [file, key] = hash > 0 ? [spec.slice(0, hash), spec.slice(hash + 1)] : [spec, undefined];
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ClassTableError(`The class table ${file} could not be read as JSON: ${(e as Error).message}`);
  }
  const flat = asTable(json);
  const nested = flat || typeof json !== 'object' || json === null ? [] : Object.entries(json).flatMap(([k, v]) => {
    const t = asTable(v);
    return t ? [[k, t] as const] : [];
  });
  const wanted = values.filter((v) => v !== 0);
  let table: Table | undefined;
  if (key !== undefined) {
    table = nested.find(([k]) => k === key)?.[1];
    if (!table) throw new ClassTableError(`The class table ${file} has no table "${key}" (it has ${nested.map(([k]) => k).join(', ') || 'a single unnamed table'}).`);
  } else if (flat) {
    table = flat;
  } else {
    if (nested.length === 0) throw new ClassTableError(`The class table ${file} is not of the form { "value": "name" } nor a set of such tables.`);
    const fit = nested.filter(([, t]) => wanted.every((v) => t.has(v)));
    // Two tables that both name every value would name them differently: the user must choose.
    if (fit.length !== 1) {
      throw new ClassTableError(`${fit.length === 0 ? 'No table' : `More than one table (${fit.map(([k]) => k).join(', ')})`} in ${file} names every label value; pick one with ${file}#<key>.`);
    }
    table = fit[0]![1];
  }
  const missing = wanted.filter((v) => !table.has(v));
  if (missing.length > 0) throw new ClassTableError(`The labels hold value${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the class table ${spec} does not name.`);
  return [...table].sort(([a], [b]) => a - b).filter(([v]) => v > 0).map(([value, name]) => ({ value, name }));
}

/** The classes (index 0 = background) for the label values present, named by the JSON table. */
export async function readJsonClassTable(spec: string, values: readonly number[]): Promise<ModelClass[]> {
  const table = new Map((await readJsonClassNames(spec, values)).map((c) => [c.value, c.name]));
  const max = Math.max(0, ...table.keys());
  // Indices are contiguous (the writers index classes by value); unnamed gaps are never exported.
  return Array.from({ length: max + 1 }, (_, i) => ({ index: i, name: i === 0 ? 'background' : (table.get(i) ?? `label ${i}`), color: colourFor(i) }));
}
