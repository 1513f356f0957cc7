import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../common/contract/result.js';
import { REPO_ROOT } from '../../../test-support/paths.js';
import { pythonJson } from '../../../test-support/python.js';
import { GENERIC_CATEGORY, GENERIC_TYPE, parseLabelSchema, readLabelSchema, segmentsFor, type LabelClass, type LabelSchema } from './label-schema.js';
import type { AlgorithmType, Code } from './segments.js';

const SCHEMA_PATH = join(REPO_ROOT, 'resources', 'label-schemas', 'synapse-abdomen.json');
const card = JSON.parse(readFileSync(join(REPO_ROOT, 'native-models', 'models', 'demo', 'model.json'), 'utf8')) as { classes: LabelClass[] };
const MODEL = { name: 'hsam-tiny-demo', version: '0.1.0' };

/** Every (meaning, context groups) pydicom's DICOM dictionary gives each SNOMED CT code value. */
function dicomConcepts(values: readonly string[]): Record<string, [string, number[]][]> {
  return pythonJson(
    String.raw`
import json, sys
from collections import defaultdict
from pydicom.sr._concepts_dict import concepts
found = defaultdict(list)
for entries in concepts['SCT'].values():
    for value, (meaning, cids) in entries.items():
        found[value].append([meaning, cids])
print(json.dumps({v: found.get(v, []) for v in json.load(sys.stdin)}))
`,
    values,
  );
}

function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UserFacingError) return e.message;
    throw e;
  }
  throw new Error('expected a UserFacingError');
}

describe('the bundled Synapse label schema', async () => {
  const schema = await readLabelSchema(SCHEMA_PATH);

  it('describes every class of the demo model', () => {
    expect(Object.keys(schema.classes).sort()).toEqual(card.classes.filter((c) => c.index > 0).map((c) => c.name).sort());
  });

  it('uses the codes DICOM lists for them (pydicom, from PS3.16): CID 7150 categories, CID 7151 types, CID 244 laterality', () => {
    const codes: [Code, number][] = Object.values(schema.classes).flatMap((c) => [
      [c.category, 7150] as [Code, number],
      [c.type, 7151] as [Code, number],
      ...(c.typeModifier ? [[c.typeModifier, 244] as [Code, number]] : []),
    ]);
    codes.push([GENERIC_CATEGORY, 7150], [GENERIC_TYPE, 7151]);
    const known = dicomConcepts(codes.map(([c]) => c.value));
    for (const [code, cid] of codes) {
      expect(code.scheme).toBe('SCT');
      const entries = known[code.value] ?? [];
      expect(entries.some(([meaning, cids]) => meaning === code.meaning && cids.includes(cid)), `${code.value} "${code.meaning}" in CID ${cid}`).toBe(true);
    }
  });

  it('codes the kidneys as Kidney with a Right or Left modifier', () => {
    expect(schema.classes['kidney_right']).toMatchObject({ type: { value: '64033007', meaning: 'Kidney' }, typeModifier: { value: '24028007', meaning: 'Right' } });
    expect(schema.classes['kidney_left']).toMatchObject({ type: { value: '64033007', meaning: 'Kidney' }, typeModifier: { value: '7771000', meaning: 'Left' } });
  });
});

describe('segmentsFor', async () => {
  const schema = await readLabelSchema(SCHEMA_PATH);
  const types = new Map<number, AlgorithmType>([
    [0, 'AUTOMATIC'], // background: never a segment
    [5, 'AUTOMATIC'],
    [2, 'SEMIAUTOMATIC'],
    [9, 'MANUAL'],
  ]);
  const classes: LabelClass[] = [...card.classes, { index: 9, name: 'lesion' }];

  it('turns the classes with an algorithm type into segments, in label-value order', () => {
    expect(segmentsFor(classes, types, { schema, model: MODEL })).toEqual([
      {
        labelValue: 2,
        name: 'Right kidney',
        color: [185, 102, 83],
        algorithmType: 'SEMIAUTOMATIC',
        algorithmName: 'hsam-tiny-demo 0.1.0',
        category: { value: '123037004', scheme: 'SCT', meaning: 'Anatomical Structure' },
        type: { value: '64033007', scheme: 'SCT', meaning: 'Kidney' },
        typeModifier: { value: '24028007', scheme: 'SCT', meaning: 'Right' },
      },
      {
        labelValue: 5,
        name: 'Liver',
        color: [221, 130, 101],
        algorithmType: 'AUTOMATIC',
        algorithmName: 'hsam-tiny-demo 0.1.0',
        category: { value: '123037004', scheme: 'SCT', meaning: 'Anatomical Structure' },
        type: { value: '10200004', scheme: 'SCT', meaning: 'Liver' },
      },
      // Unknown to the schema: its own name, a fallback colour, generic coding, and no algorithm.
      { labelValue: 9, name: 'lesion', color: [60, 180, 75], algorithmType: 'MANUAL', category: GENERIC_CATEGORY, type: GENERIC_TYPE },
    ]);
  });

  it("keeps the colour the workstation showed, else the schema's", () => {
    const [liver] = segmentsFor([{ index: 5, name: 'liver', color: [1, 2, 3] }], types, { schema, model: MODEL });
    expect(liver?.color).toEqual([1, 2, 3]);
    const [plain] = segmentsFor([{ index: 5, name: 'liver' }], types, { schema, model: MODEL });
    expect(plain?.color).toEqual([221, 130, 101]);
  });

  it('needs the model for model output, not for manual segments', () => {
    expect(thrown(() => segmentsFor(classes, types, { schema }))).toBe('Class "kidney_right" is SEMIAUTOMATIC but no model was named as its algorithm.');
    expect(segmentsFor(classes, new Map([[9, 'MANUAL']]), { schema })).toHaveLength(1);
  });
});

describe('label schema files', () => {
  const good = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as LabelSchema;
  const dir = mkdtempSync(join(tmpdir(), 'hsam-label-schema-'));

  it('refuses another format, codes that do not fit their DICOM field, bad colours and unknown fields, naming the place', () => {
    expect(thrown(() => parseLabelSchema({ ...good, format: 'hsam-label-schema/2' }, 's.json'))).toBe(
      's.json is not a valid label schema at format: Invalid input: expected "hsam-label-schema/1".',
    );
    const withClass = (c: unknown): unknown => ({ ...good, classes: { ...good.classes, liver: c } });
    const liver = good.classes['liver']!;
    expect(thrown(() => parseLabelSchema(withClass({ ...liver, type: { ...liver.type, meaning: 'x'.repeat(65) } }), 's.json'))).toBe(
      's.json is not a valid label schema at classes.liver.type.meaning: Too big: expected string to have <=64 characters.',
    );
    expect(thrown(() => parseLabelSchema(withClass({ ...liver, type: { ...liver.type, value: '1\\2' } }), 's.json'))).toBe(
      's.json is not a valid label schema at classes.liver.type.value: no backslash or control characters.',
    );
    expect(thrown(() => parseLabelSchema(withClass({ ...liver, color: [0, 0, 256] }), 's.json'))).toBe(
      's.json is not a valid label schema at classes.liver.color.2: Too big: expected number to be <=255.',
    );
    expect(thrown(() => parseLabelSchema(withClass({ ...liver, colour: [0, 0, 0] }), 's.json'))).toBe(
      's.json is not a valid label schema at classes.liver: Unrecognized key: "colour".',
    );
  });

  it('refuses files that are missing or not JSON', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "format": ');
    await expect(readLabelSchema(bad)).rejects.toThrow(/^bad\.json is not valid JSON \(/);
    await expect(readLabelSchema(join(dir, 'none.json'))).rejects.toThrow('Cannot read none.json: file not found.');
  });
});
