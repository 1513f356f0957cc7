/** Class table from an ITK-SNAP label description file (`IDX R G B A VIS MSH "LABEL"` lines). */
import { parseItkSnapLabels } from '../export/itksnap-labels.js';
import { ClassTableError, type TableClass } from './table-class.js';

/** Does the text look like an ITK-SNAP label description (its first data line parses)? */
export const looksLikeItkSnap = (text: string): boolean =>
  /^\s*\d+\s+\d+\s+\d+\s+\d+\s+[0-9.eE+-]+\s+\d+\s+\d+\s*"/.test(text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '');

export function parseItkSnapClassTable(text: string, file: string): TableClass[] {
  try {
    // Label 0 is ITK-SNAP's "Clear Label": background, never a class.
    return parseItkSnapLabels(text).filter((l) => l.index > 0).map((l) => ({ value: l.index, name: l.name, color: l.rgb }));
  } catch (e) {
    throw new ClassTableError(`The class table ${file} is not a valid ITK-SNAP label description: ${(e as Error).message}.`);
  }
}
