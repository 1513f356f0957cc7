import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TOTALSEG } from '../../../test-support/paths.js';
import { writeLayeredSegNrrd } from '../../../test-support/slicer-seg-nrrd.js';
import { readLabelSchemas } from '../export/label-export.js';
import { codeClassNames } from './anatomy-names.js';
import { ClassTableError, readClassTable } from './class-table.js';

const dir = mkdtempSync(join(tmpdir(), 'hsam-classes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

// As ITK-SNAP 4 writes it (Segmentation > Export Label Descriptions).
const ITKSNAP = `################################################
# ITK-SnAP Label Description File
# File format:
# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL
################################################
    0     0    0    0        0  0  0    "Clear Label"
    1   255    0    0        1  1  1    "Spleen"
    2     0  255    0        1  1  1    "Right kidney"
    7    10   20   30      0.5  1  0    "Tumour core"
`;

// As 3D Slicer writes a colour table (.ctbl; the .txt beside a saved label map is the same).
const CTBL = `# Color table file /tmp/GenericAnatomyColors.ctbl
# 4 values
0 Background 0 0 0 0
1 liver 221 130 101 255
3 gall_bladder 139 150 98 255
9 vessel_X 1 2 3 255
`;

describe('readClassTable picks the format by extension and content', () => {
  it('an ITK-SNAP label description: names and colours, Clear Label left out', async () => {
    const t = await readClassTable(file('labels.txt', ITKSNAP));
    expect(t.format).toBe('itk-snap');
    expect(t.classes).toEqual([
      { value: 1, name: 'Spleen', color: [255, 0, 0] },
      { value: 2, name: 'Right kidney', color: [0, 255, 0] },
      { value: 7, name: 'Tumour core', color: [10, 20, 30] },
    ]);
  });

  it('a 3D Slicer colour table (.ctbl and .txt), background left out', async () => {
    for (const name of ['colors.ctbl', 'colors.txt']) {
      const t = await readClassTable(file(name, CTBL));
      expect(t.format).toBe('slicer-ctbl');
      expect(t.classes.map((c) => [c.value, c.name, c.color])).toEqual([
        [1, 'liver', [221, 130, 101]],
        [3, 'gall_bladder', [139, 150, 98]],
        [9, 'vessel_X', [1, 2, 3]],
      ]);
    }
  });

  it('TotalSegmentator’s JSON, by extension and by content', async () => {
    const json = join(TOTALSEG, 'totalsegmentator_classes.json');
    const t = await readClassTable(`${json}#total`);
    expect(t.format).toBe('json');
    expect(t.classes).toHaveLength(117);
    expect(t.classes[0]).toEqual({ value: 1, name: 'spleen' });
    const renamed = file('table.dat', JSON.stringify({ 1: 'liver', 4: 'mass' }));
    expect((await readClassTable(renamed)).classes).toEqual([{ value: 1, name: 'liver' }, { value: 4, name: 'mass' }]);
  });

  it('a layered .seg.nrrd’s own segment fields; a value two layers share is named by the later segment, with a warning', async () => {
    const p = join(dir, 'layered.seg.nrrd');
    writeLayeredSegNrrd(join(TOTALSEG, 'example_seg.nii.gz'), p);
    const t = await readClassTable(p);
    expect(t.format).toBe('seg-nrrd');
    expect(t.classes.map((c) => [c.value, c.name])).toEqual([[1, 'Tumour'], [2, 'kidney_left'], [3, 'Right kidney']]);
    expect(t.classes[2]!.color).toEqual([186, 102, 84]);
    expect(t.warnings).toEqual([
      'In layered.seg.nrrd, segments "liver" and "Tumour" (in other layers) share label value 1; as a class table it is named "Tumour".',
      'In layered.seg.nrrd, segments "spleen" and "kidney_left" (in other layers) share label value 2; as a class table it is named "kidney_left".',
    ]);
  });

  it('refuses what is no table, with the file and line', async () => {
    await expect(readClassTable(file('bad.txt', '1 liver red green blue\n'))).rejects.toThrow(new ClassTableError('The class table bad.txt, line 1: expected "value name R G B A" (a 3D Slicer colour table).'));
    await expect(readClassTable(file('big.ctbl', '300 x 1 2 3 255\n'))).rejects.toThrow(/label value 300 is above 255/);
  });
});

describe('codeClassNames: known anatomy keeps its SNOMED CT coding, unknown names a warning', () => {
  it('matches names ignoring case, punctuation and word order, and synonyms', async () => {
    const schema = await readLabelSchemas(join(REPO_ROOT, 'resources', 'label-schemas'));
    const t = await readClassTable(file('labels2.txt', ITKSNAP));
    const coded = codeClassNames([...t.classes, { value: 8, name: 'KIDNEY-LEFT' }, { value: 9, name: 'gall bladder' }, { value: 10, name: 'Lien' }], schema);
    expect(coded.classes.map((c) => [c.value, c.name])).toEqual([[1, 'spleen'], [2, 'kidney_right'], [7, 'Tumour core'], [8, 'kidney_left'], [9, 'gallbladder'], [10, 'spleen']]);
    expect(coded.warnings).toEqual(['1 class is not in the label schemas (Tumour core): coded as Tissue (SNOMED CT 85756007) under its own name.']);
    const none = codeClassNames([{ value: 1, name: 'liver' }], schema);
    expect(none.warnings).toEqual([]);
  });
});
