/**
 * Class table from a 3D Slicer colour table (`.ctbl`, or the `.txt` Slicer writes for a label
 * map): `#` comments, then `value name R G B A` per line, names without spaces (Slicer writes
 * spaces as `_`), colours 0..255. Slicer's extended files add terminology columns after A,
 * which are ignored here.
 */
import { ClassTableError, type TableClass } from './table-class.js';

const LINE = /^\s*(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)(?:\s+(\d+))?/;

export function parseSlicerColorTable(text: string, file: string): TableClass[] {
  const out: TableClass[] = [];
  const seen = new Set<number>();
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const m = LINE.exec(line);
    const bad = (why: string): ClassTableError => new ClassTableError(`The class table ${file}, line ${n + 1}: ${why}.`);
    if (!m) throw bad('expected "value name R G B A" (a 3D Slicer colour table)');
    const [value, r, g, b] = [m[1], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
    if (value > 255) throw bad(`label value ${value} is above 255`);
    if ([r, g, b].some((c) => c > 255)) throw bad('a colour component is above 255');
    if (seen.has(value)) throw bad(`value ${value} is named twice`);
    seen.add(value);
    // Value 0 is Slicer's "Background" (or "None"): never a class.
    if (value > 0) out.push({ value, name: m[2]!, color: [r, g, b] });
  });
  if (out.length === 0) throw new ClassTableError(`The class table ${file} names no label value.`);
  return out;
}
