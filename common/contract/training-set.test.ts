/**
 * The training-set manifest shared with Python: the golden fixture parses unchanged, every
 * negative fixture fails with exactly the issues expected-errors.json lists (pytest checks
 * data.read_manifest against the same files), and the committed JSON Schema is what this
 * contract generates. Fixtures are imported as JSON modules: the contract folder stays
 * free of Node imports, tests included.
 */
import { describe, expect, it } from 'vitest';
import badClass0 from '../../native-models/fixtures/trainset/bad-class0-not-background.json';
import badClassOrder from '../../native-models/fixtures/trainset/bad-class-order.json';
import badDuplicate from '../../native-models/fixtures/trainset/bad-duplicate-slice.json';
import badFilePath from '../../native-models/fixtures/trainset/bad-file-path.json';
import badFormat from '../../native-models/fixtures/trainset/bad-format.json';
import badNoFile from '../../native-models/fixtures/trainset/bad-slice-without-file.json';
import expected from '../../native-models/fixtures/trainset/expected-errors.json';
import golden from '../../native-models/fixtures/trainset/golden.json';
import { trainingSetJsonSchema, TrainingSetManifest } from './training-set.js';

/** Every bad-*.json, by file name (pytest checks this list against the folder). */
const NEGATIVES: Readonly<Record<string, unknown>> = {
  'bad-class0-not-background.json': badClass0,
  'bad-class-order.json': badClassOrder,
  'bad-duplicate-slice.json': badDuplicate,
  'bad-file-path.json': badFilePath,
  'bad-format.json': badFormat,
  'bad-slice-without-file.json': badNoFile,
};

type Expectation = { rule: string; zod: { path: string; message: string }[]; python: string };
const EXPECTED = Object.fromEntries(Object.entries(expected).filter(([k]) => !k.startsWith('$'))) as Record<string, Expectation>;

describe('training-set manifest fixtures', () => {
  it('the golden manifest parses, and parsing drops nothing', () => {
    expect(TrainingSetManifest.parse(golden)).toEqual(golden);
  });

  it('every negative has an expectation, and every expectation a fixture', () => {
    expect(Object.keys(NEGATIVES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(NEGATIVES))('%s fails with the expected issues', (name) => {
    const r = TrainingSetManifest.safeParse(NEGATIVES[name]);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))).toEqual(EXPECTED[name]!.zod);
  });
});

describe('trainset-manifest.schema.json', () => {
  it('is what the contract generates', async () => {
    await expect(`${JSON.stringify(trainingSetJsonSchema(), null, 2)}\n`).toMatchFileSnapshot('../../native-models/schemas/trainset-manifest.schema.json');
  });
});
