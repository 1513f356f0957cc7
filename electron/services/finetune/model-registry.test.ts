/**
 * The model registry on real model folders (copies of the shipped demo with their cards
 * re-versioned, as a fine-tune writes them): a chain of versions, switching and rolling back,
 * copy vs move, and everything it refuses (a damaged registry.json, which it never overwrites;
 * paths outside the registry; invalid or duplicate models; a version whose folder is gone).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../../../common/contract/model-card.js';
import { REPO_ROOT } from '../../../test-support/paths.js';
import { BUNDLED_ID, ModelRegistry } from './model-registry.js';
import { failureOf } from '../../../test-support/errors.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const demoCard = ModelCard.parse(JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8')));
const work = mkdtempSync(join(tmpdir(), 'hsam-registry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** A model folder as `finetune` writes one: the demo's files, a card with a new version and its parent. */
function fineTuned(version: string, parent: { name: string; version: string } | null, extra: Record<string, unknown> = {}): string {
  const dir = join(work, `model-${++n}`);
  cpSync(DEMO, dir, { recursive: true });
  const card = {
    ...demoCard,
    version,
    quality: { ...demoCard.quality, perClass: { liver: 0.9 }, mean: 0.9 },
    provenance: {
      source: 'finetune',
      parent,
      trainingSet: { id: 'set-1', train: ['a.npz', 'b.npz', 'c.npz'], val: ['d.npz'] },
      baseline: { perClass: { liver: 0.8 }, mean: 0.8, model: parent },
      steps: 10,
      seconds: 4.5,
      created: '2026-11-25T12:00:00+00:00',
      ...extra,
    },
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(card, null, 2));
  return dir;
}


const demoRef = { name: demoCard.name, version: demoCard.version };

describe('model registry', () => {
  it('a chain of versions: register, switch, roll back step by step to the bundled model', async () => {
    const root = join(work, 'chain');
    const reg = new ModelRegistry({ root, bundledDir: DEMO });
    const [bundled] = await reg.list();
    expect(bundled).toMatchObject({ id: BUNDLED_ID, name: demoCard.name, dir: DEMO, bundled: true, active: true, parentId: null, baseline: null });
    expect(bundled?.quality?.mean).toBe(demoCard.quality?.mean);
    expect(existsSync(join(root, 'registry.json'))).toBe(false); // reading writes nothing

    const src1 = fineTuned('0.1.0+ft.1', demoRef);
    const v1 = await reg.register(src1, { activate: true, trainingSetDir: '/data/sets/one' });
    expect(existsSync(src1)).toBe(false); // moved
    expect(v1).toMatchObject({ parentId: BUNDLED_ID, active: true, trainingSet: { id: 'set-1', dir: '/data/sets/one', slices: 4 }, quality: { mean: 0.9 }, baseline: { perClass: { liver: 0.8 }, mean: 0.8 }, steps: 10, seconds: 4.5 });
    const v2 = await reg.register(fineTuned('0.1.0+ft.2', { name: demoCard.name, version: '0.1.0+ft.1' }));
    expect(v2).toMatchObject({ parentId: v1.id, active: false });
    expect((await reg.activate(v2.id)).id).toBe(v2.id);

    expect((await reg.rollback()).id).toBe(v1.id);
    expect((await reg.rollback()).id).toBe(BUNDLED_ID);
    expect((await failureOf(reg.rollback())).code).toBe('not-found');
    expect((await reg.activate(v2.id)).active).toBe(true);
    expect((await reg.activate(BUNDLED_ID)).bundled).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'registry.json'), 'utf8'))).toMatchObject({ active: null });
    expect(readdirSync(join(root, 'versions')).sort()).toEqual([v1.id, v2.id].sort());

    // The contract's view carries no paths.
    const state = await reg.state();
    expect(state.versions.map((v) => v.id)).toEqual([BUNDLED_ID, v1.id, v2.id]);
    expect(JSON.stringify(state)).not.toContain(root);
  });

  it('copy keeps the source; an unknown parent is recorded by name with no id, and cannot be rolled back to', async () => {
    const reg = new ModelRegistry({ root: join(work, 'copy'), bundledDir: DEMO });
    const src = fineTuned('2.0.0', { name: 'someone-elses', version: '1.0' });
    const v = await reg.register(src, { mode: 'copy', activate: true });
    expect(existsSync(join(src, 'model.json'))).toBe(true);
    expect(v).toMatchObject({ parent: { name: 'someone-elses', version: '1.0' }, parentId: null });
    expect((await failureOf(reg.rollback())).message).toBe(`Cannot roll back from ${demoCard.name} 2.0.0: its parent someone-elses 1.0 is not registered.`);
    // The same model twice is refused (parents are found by name and version).
    expect((await failureOf(reg.register(src, { mode: 'copy' }))).message).toContain(`${demoCard.name} 2.0.0 is already registered`);
  });

  it('refuses an invalid model folder and leaves the registry and the folder as they were', async () => {
    const root = join(work, 'invalid');
    const reg = new ModelRegistry({ root, bundledDir: DEMO });
    const src = fineTuned('3.0.0', demoRef);
    const card = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(src, 'model.json'), JSON.stringify({ ...card, format: 'something-else' }));
    expect((await failureOf(reg.register(src))).message).toMatch(/model\.json is not a valid H-SAM model card/);
    rmSync(join(src, 'decoder.onnx'));
    writeFileSync(join(src, 'model.json'), JSON.stringify(card));
    expect((await failureOf(reg.register(src))).message).toMatch(/decoder\.onnx \(the decoder\) is missing/);
    expect(existsSync(join(src, 'model.json'))).toBe(true);
    expect(existsSync(join(root, 'registry.json'))).toBe(false);
    expect(existsSync(join(root, 'versions')) ? readdirSync(join(root, 'versions')) : []).toEqual([]);
    expect((await failureOf(reg.activate('no-such-version'))).message).toBe('There is no model version "no-such-version" in the registry.');
  });

  it('a damaged registry.json is reported and never overwritten', async () => {
    const root = join(work, 'damaged');
    mkdirSync(root);
    const file = join(root, 'registry.json');
    const cases: [string, RegExp][] = [
      ['{"format": "hsam-model-registry/1", "active": nul', /is damaged \(not valid JSON: /],
      [JSON.stringify({ format: 'hsam-model-registry/1', active: 'ghost', versions: [] }), /is damaged \(.*no version ghost/],
      [JSON.stringify({ format: 'other/1', active: null, versions: [] }), /is damaged \(.*format/],
      [
        JSON.stringify({
          format: 'hsam-model-registry/1',
          active: null,
          versions: [{ id: 'x', name: 'n', version: '1', dir: '../../etc', parent: null, parentId: null, trainingSet: null, created: '', quality: null, baseline: null, steps: null, seconds: null }],
        }),
        /is damaged \(.*a folder inside the registry/,
      ],
    ];
    const reg = new ModelRegistry({ root, bundledDir: DEMO });
    for (const [text, why] of cases) {
      writeFileSync(file, text);
      const e = await failureOf(reg.list());
      expect(e.code).toBe('unreadable');
      expect(e.message).toMatch(why);
      expect(e.message).toContain(`The model registry ${file} is damaged`);
      expect(e.message).toContain('It was left as it is; move it aside to start a new registry');
      await failureOf(reg.register(fineTuned('4.0.0', demoRef)));
      await failureOf(reg.activate(BUNDLED_ID));
      expect(readFileSync(file, 'utf8')).toBe(text);
    }
  });

  it('keeps fields a newer app wrote; a version whose folder is gone is listed as unavailable', async () => {
    const root = join(work, 'newer');
    const reg = new ModelRegistry({ root, bundledDir: DEMO });
    const v = await reg.register(fineTuned('5.0.0', demoRef));
    const file = join(root, 'registry.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { versions: Record<string, unknown>[] };
    writeFileSync(file, JSON.stringify({ ...json, note: 'from a newer app', versions: json.versions.map((x) => ({ ...x, tags: ['good'] })) }));
    await reg.activate(v.id);
    const after = JSON.parse(readFileSync(file, 'utf8')) as { note: string; active: string; versions: { tags: string[] }[] };
    expect([after.note, after.active, after.versions[0]?.tags]).toEqual(['from a newer app', v.id, ['good']]);

    rmSync(v.dir, { recursive: true });
    expect((await reg.get(v.id)).available).toBe(false);
    await reg.activate(BUNDLED_ID);
    expect((await failureOf(reg.activate(v.id))).message).toMatch(/is gone; it cannot be used/);
  });

  it('without a bundled model: an empty registry has no active version', async () => {
    const reg = new ModelRegistry({ root: join(work, 'bare'), bundledDir: null });
    expect(await reg.list()).toEqual([]);
    expect((await failureOf(reg.active())).code).toBe('not-found');
    const v = await reg.register(fineTuned('6.0.0', demoRef), { activate: true });
    expect(v.parentId).toBeNull();
    expect((await reg.active()).id).toBe(v.id);
  });
});
