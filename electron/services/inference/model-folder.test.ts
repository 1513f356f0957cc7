import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyModel } from '../../../test-support/tiny-model.js';
import { loadModelFolder } from './model-folder.js';

let good: string;
beforeAll(() => {
  good = tinyModel();
});

/** A copy of the good model folder, broken by `damage`, loaded. */
async function loadBroken(damage: (dir: string, card: Record<string, unknown>) => void): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'hsam-bad-model-')), 'model');
  cpSync(good, dir, { recursive: true });
  const card = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  damage(dir, card);
  try {
    await loadModelFolder(dir);
    return 'loaded';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const writeCard = (dir: string, card: unknown): void => writeFileSync(join(dir, 'model.json'), JSON.stringify(card));

describe('loadModelFolder', () => {
  it('loads a converted model: card, classes and graphs', async () => {
    const m = await loadModelFolder(good);
    expect(m.card.classes.map((c) => c.name)).toEqual([
      'background',
      'spleen',
      'kidney_right',
      'kidney_left',
      'gallbladder',
      'liver',
      'stomach',
      'aorta',
      'pancreas',
    ]);
    expect(m.card.input.shape).toEqual(['batch', 3, 224, 224]);
    expect(m.encoderPath.endsWith('encoder.onnx')).toBe(true);
  });

  it('names the file and the problem for every broken folder', async () => {
    expect(await loadModelFolder('/nonexistent/models/v2').catch((e: Error) => e.message)).toBe(
      'Model folder v2 not found; choose the folder that holds model.json.',
    );
    expect(await loadBroken((d) => rmSync(join(d, 'model.json')))).toBe('model/model.json is missing: this is not a model folder.');
    expect(await loadBroken((d) => writeFileSync(join(d, 'model.json'), '{"format": '))).toMatch(/^model\/model.json is not valid JSON \(/);
    expect(await loadBroken((d, c) => writeCard(d, { ...c, format: 'sam-card/9' }))).toBe(
      'model/model.json is not a valid H-SAM model card:\n✖ Invalid input: expected "hsam-model-card/1"\n  → at format',
    );
    expect(
      await loadBroken((d, c) => writeCard(d, { ...c, classes: (c['classes'] as unknown[]).filter((_, i) => i !== 3) })),
    ).toContain('9 channels but 8 classes');
    expect(await loadBroken((d, c) => writeCard(d, { ...c, classes: (c['classes'] as unknown[]).slice(0, 1) }))).toContain('→ at classes');
    expect(await loadBroken((d) => rmSync(join(d, 'encoder.onnx')))).toBe('model/encoder.onnx (the encoder) is missing.');
    expect(await loadBroken((d) => truncateSync(join(d, 'decoder.onnx'), 1000))).toMatch(
      /^model\/decoder.onnx has 1000 bytes but model.json says \d+: the file is truncated or belongs to another model.$/,
    );
    expect(await loadBroken((d) => rmSync(join(d, 'postprocess.onnx')))).toBe('model/postprocess.onnx (the postprocessing graph) is missing.');
    const withoutPreprocess = (c: Record<string, unknown>): Record<string, unknown> => {
      const { preprocess: _dropped, ...files } = c['files'] as Record<string, unknown>;
      return { ...c, files };
    };
    expect(await loadBroken((d, c) => writeCard(d, withoutPreprocess(c)))).toBe(
      'model/model.json names a postprocessing graph but no preprocessing graph: give both or neither.',
    );
  });

  it('finds the slice graphs a card names; a card naming neither (older folders) loads without them', async () => {
    const m = await loadModelFolder(good);
    expect(m.sliceGraphs).toEqual({ preprocessPath: join(good, 'preprocess.onnx'), postprocessPath: join(good, 'postprocess.onnx') });
    const dir = join(mkdtempSync(join(tmpdir(), 'hsam-old-model-')), 'model');
    cpSync(good, dir, { recursive: true });
    const card = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { files: Record<string, unknown> };
    delete card.files['preprocess'];
    delete card.files['postprocess'];
    writeCard(dir, card);
    rmSync(join(dir, 'preprocess.onnx'));
    rmSync(join(dir, 'postprocess.onnx'));
    expect((await loadModelFolder(dir)).sliceGraphs).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});
