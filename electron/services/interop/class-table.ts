/**
 * `readClassTable(path)`: the classes a label map's own table gives, from any of the formats other
 * tools write, picked by content and extension: JSON `{ "value": "name" }` (`file.json#key` for a
 * set of tables), a DICOM SEG's Segment Sequence, a `.seg.nrrd`'s segment fields, an ITK-SNAP
 * label description, or a 3D Slicer colour table (`.ctbl`, `.txt`).
 */
import { basename } from 'node:path';
import type { ModelClass } from '../../../common/contract/segmentation.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { readNrrdWithFields } from '../imaging/nrrd.js';
import { readRegularFile } from '../storage/safe-read.js';
import { isDicomPart10, readSegDataset } from './dicom-seg-dataset.js';
import { dicomSegClasses } from './dicom-seg-class-table.js';
import { looksLikeItkSnap, parseItkSnapClassTable } from './itksnap-class-table.js';
import { readJsonClassNames } from './json-class-table.js';
import { slicerSegmentClasses } from './seg-nrrd-class-table.js';
import { parseSlicerColorTable } from './slicer-color-table.js';
import { ClassTableError, colourFor, type TableClass } from './table-class.js';

export { ClassTableError, type TableClass };

export interface ClassTable {
  /** Named label values (never 0), in value order. */
  readonly classes: TableClass[];
  readonly format: 'json' | 'dicom-seg' | 'seg-nrrd' | 'itk-snap' | 'slicer-ctbl';
  readonly warnings: string[];
}

/** Table files are small; a bigger "table" is some other file given by mistake. */
const MAX_TEXT_BYTES = 4 << 20;

/**
 * The class table in `spec` (a path, or `file.json#key`). `values` (the label values present)
 * lets a JSON file of several tables pick the one that names them all.
 */
export async function readClassTable(spec: string, values: readonly number[] = []): Promise<ClassTable> {
  const file = spec.replace(/#[^/\\]*$/, '');
  const name = basename(file);
  const warnings: string[] = [];
  const wrap = (e: unknown): never => {
    if (e instanceof UserFacingError) throw new ClassTableError(e.message);
    throw e;
  };
  if (/\.json$/i.test(file)) return { classes: await readJsonClassNames(spec, values), format: 'json', warnings };
  if (/\.(nrrd|nhdr)$/i.test(file)) {
    const { keyValues } = await readNrrdWithFields(file, { layers: true }).catch(wrap);
    return { classes: slicerSegmentClasses(keyValues, name, warnings), format: 'seg-nrrd', warnings };
  }
  const bytes = await readRegularFile(file, { name, maxBytes: 1 << 30 }).catch(wrap);
  if (isDicomPart10(bytes)) return { classes: dicomSegClasses(await readSegDataset(file).catch(wrap), name), format: 'dicom-seg', warnings };
  if (bytes.length > MAX_TEXT_BYTES) throw new ClassTableError(`${name} is not a class table: it is too large for one and not a DICOM SEG.`);
  const text = bytes.toString('utf8');
  if (text.trimStart().startsWith('{')) return { classes: await readJsonClassNames(spec, values), format: 'json', warnings };
  if (looksLikeItkSnap(text)) return { classes: parseItkSnapClassTable(text, name), format: 'itk-snap', warnings };
  return { classes: parseSlicerColorTable(text, name), format: 'slicer-ctbl', warnings };
}

/** Label values present (0 aside) that the table does not name. */
export const unnamedValues = (table: readonly TableClass[], values: readonly number[]): number[] => values.filter((v) => v !== 0 && !table.some((c) => c.value === v));

/** The table as a model's class list: index = value, contiguous from background, unnamed gaps `label i`. */
export function tableAsModelClasses(table: readonly TableClass[]): ModelClass[] {
  const byValue = new Map(table.map((c) => [c.value, c]));
  const max = Math.max(0, ...byValue.keys());
  return Array.from({ length: max + 1 }, (_, i) => {
    const c = byValue.get(i);
    return { index: i, name: i === 0 ? 'background' : (c?.name ?? `label ${i}`), color: c?.color ?? colourFor(i) };
  });
}
