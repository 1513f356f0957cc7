/**
 * Class table from a DICOM SEG's Segment Sequence: each segment's number is its label value (as
 * our importer and the LABELMAP type place it), its Segment Label the name, and its Recommended
 * Display CIELab Value the colour.
 */
import type { NaturalDataset } from 'dcmjs';
import { cielabToRgb, many, one, seq, text } from './dicom-seg-dataset.js';
import { ClassTableError, type TableClass } from './table-class.js';

export function dicomSegClasses(ds: NaturalDataset, file: string): TableClass[] {
  const out: TableClass[] = [];
  for (const item of seq(ds, 'SegmentSequence')) {
    const value = Number(one(item, 'SegmentNumber'));
    if (!Number.isInteger(value) || value < 1 || value > 255) throw new ClassTableError(`${file} has a segment numbered ${text(item, 'SegmentNumber')}; this workstation reads segments 1 to 255.`);
    const lab = many(item, 'RecommendedDisplayCIELabValue').map(Number);
    const name = text(item, 'SegmentLabel').trim() || `Segment ${value}`;
    out.push({ value, name, ...(lab.length === 3 ? { color: cielabToRgb(lab) } : {}) });
  }
  return out.sort((a, b) => a.value - b.value);
}
