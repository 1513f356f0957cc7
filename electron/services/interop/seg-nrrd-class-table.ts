/**
 * Class table from a 3D Slicer `.seg.nrrd`'s segment fields (SegmentN_Name, _LabelValue, _Layer,
 * _Color). In a layered file two segments of different layers may share a label value; a flat
 * table cannot tell them apart, so the later segment names the value and a warning says so.
 */
import { readSlicerSegments } from '../export/seg-nrrd.js';
import { ClassTableError, type TableClass } from './table-class.js';

export function slicerSegmentClasses(keyValues: ReadonlyMap<string, string>, file: string, warnings: string[]): TableClass[] {
  const byValue = new Map<number, TableClass>();
  for (const s of readSlicerSegments(keyValues)) {
    if (!Number.isInteger(s.labelValue) || s.labelValue < 1 || s.labelValue > 255) {
      throw new ClassTableError(`Segment "${s.name}" of ${file} has label value ${s.labelValue}; label values run from 1 to 255.`);
    }
    const before = byValue.get(s.labelValue);
    if (before) warnings.push(`In ${file}, segments "${before.name}" and "${s.name}" (in other layers) share label value ${s.labelValue}; as a class table it is named "${s.name}".`);
    const rgb = s.color.map((c) => Math.round(Math.min(1, Math.max(0, c)) * 255)) as [number, number, number];
    byValue.set(s.labelValue, { value: s.labelValue, name: s.name || `Segment ${s.labelValue}`, color: rgb });
  }
  if (byValue.size === 0) throw new ClassTableError(`${file} holds no 3D Slicer segment fields (Segment0_ID, …).`);
  return [...byValue.values()].sort((a, b) => a.value - b.value);
}
