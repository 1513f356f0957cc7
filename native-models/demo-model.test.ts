/**
 * The shipped demo model (native-models/models/demo) loads in onnxruntime-node, is within its
 * size budget, matches its card's file hashes, and reproduces the card's Dice per organ within
 * 0.01 on its held-out slices (quality); its card says it was trained on both labelled CT
 * patients and states leave-one-patient-out Dice both ways (models that never saw their test
 * patient). The one-patient demo 0.2.0 kept for the closed loop (fixtures/models/demo-ct-sm)
 * reproduces the Dice its card states on every slice of the DICOM series it never saw. The
 * slices are rebuilt from ../shared/data/totalsegmentator by `hsam.py demo-eval-set` (windowed CT
 * at 224x224 and the mapped labels).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../common/contract/model-card.js';
import { demoEvalSet, diceByClass, predictLabels } from '../test-support/model-eval.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.join(here, 'models', 'demo');
const onePatientDir = path.join(here, 'fixtures', 'models', 'demo-ct-sm');
const readCard = (dir: string): ModelCard => ModelCard.parse(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')));

// Parsed with the workstation's own card contract: the shipped card must be one the app accepts.
const card = readCard(demoDir);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hsam-demo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Per-class Dice (null: class absent from prediction and reference) of a model folder's fp32 ONNX on `demo-eval-set` slices. */
async function measure(dir: string, name: string, args: string[]): Promise<{ slices: string[]; dice: Map<string, number | null> }> {
  const c = readCard(dir);
  const set = demoEvalSet(path.join(tmp, name), args);
  expect(set.size).toBe(c.input.size);
  const meta = JSON.parse(fs.readFileSync(path.join(tmp, name, 'meta.json'), 'utf8')) as { slices: string[] };
  return { slices: meta.slices, dice: diceByClass(c, await predictLabels(dir, c, 'encoder.onnx', set), set.labels) };
}

/** Every organ's measured Dice against the stated one (absent from both = not stated); returns the largest difference. */
function compare(measured: Map<string, number | null>, stated: Record<string, number>): number {
  let worst = 0;
  for (const [name, dice] of measured) {
    const s = stated[name];
    if (s === undefined) {
      expect(dice, name).toBeNull();
    } else {
      expect(dice, name).not.toBeNull();
      worst = Math.max(worst, Math.abs((dice ?? 0) - s));
      expect(Math.abs((dice ?? 0) - s), name).toBeLessThanOrEqual(0.01);
    }
  }
  return worst;
}

describe('shipped demo model', () => {
  it('fits the 30 MB budget and matches the hashes in its card', () => {
    let total = 0;
    for (const name of fs.readdirSync(demoDir)) total += fs.statSync(path.join(demoDir, name)).size;
    expect(total).toBeLessThanOrEqual(30 * 1024 * 1024);
    expect(card.files.checkpoint).toBeDefined(); // model.pt, needed to fine-tune the demo
    for (const f of Object.values(card.files)) {
      if (!f) continue;
      const buf = fs.readFileSync(path.join(demoDir, f.path));
      expect(buf.length).toBe(f.bytes);
      expect(createHash('sha256').update(buf).digest('hex')).toBe(f.sha256);
    }
    expect(card.classes.map((c) => c.name)).toEqual([
      'background', 'spleen', 'kidney_right', 'kidney_left', 'gallbladder', 'liver', 'stomach', 'aorta', 'pancreas',
    ]);
  });

  it('reproduces the card held-out Dice per organ within 0.01', async () => {
    const { slices, dice } = await measure(demoDir, 'held-out', []);
    expect(card.quality).not.toBeNull();
    expect(slices).toEqual((card.quality?.heldOut as { slices: string[] }).slices);
    const worst = compare(dice, card.quality?.perClass ?? {});
    console.info(`demo Dice: max |ORT - card| = ${worst.toExponential(2)} over ${slices.length} held-out slices`);
  }, 120_000);

  it('says it was trained on both labelled CT patients, and that its held-out slices are neighbours of training slices', () => {
    const set = card.provenance['trainingSet'] as { sources: string[]; train: string[]; val: string[] };
    expect(set.sources).toEqual(['ct_sm', 'ct_dicom']);
    for (const src of set.sources) expect(set.train.some((n) => n.startsWith(`${src}_`)), src).toBe(true);
    expect(card.provenance['unseenStudies']).toBeUndefined();
    expect(card.provenance['augment']).toBe('strong');
    expect(card.quality?.notes).toContain('2 patients (example_ct_sm, example_ct_dicom)');
    expect(card.quality?.notes).toContain('measures fit, not generalisation to new patients');
    expect(card.quality?.notes).toContain('This model itself was trained on both patients');
  });

  it('states leave-one-patient-out Dice both ways, each run trained on one patient and tested on the other', () => {
    const lopo = card.provenance['leaveOnePatientOut'] as
      | { runs: { train: string; test: string; augment: string; meanOfReferenceClasses: number }[]; summary: Record<string, { mean: number }> }
      | undefined;
    expect(lopo).toBeDefined();
    expect(Object.keys(lopo?.summary ?? {}).sort()).toEqual(['basic', 'strong']);
    for (const [aug, s] of Object.entries(lopo?.summary ?? {})) {
      const runs = lopo?.runs.filter((r) => r.augment === aug) ?? [];
      expect(runs.map((r) => `${r.train}->${r.test}`).sort(), aug).toEqual(['ct_dicom->ct_sm', 'ct_sm->ct_dicom']);
      const mean = runs.reduce((a, r) => a + r.meanOfReferenceClasses, 0) / runs.length;
      expect(Math.abs(mean - s.mean), aug).toBeLessThanOrEqual(1e-4);
      expect(card.quality?.notes).toContain(`${aug} augmentation`);
    }
    // The strong augmentations are what the shipped model uses: they must have helped on the unseen patient.
    expect(lopo?.summary['strong']?.mean).toBeGreaterThan(lopo?.summary['basic']?.mean ?? 1);
  });

  it('the one-patient demo 0.2.0 (the closed loop\'s model) reproduces the Dice its card states on the unseen DICOM series', async () => {
    const fixture = readCard(onePatientDir);
    expect(fixture.version).toBe('0.2.0');
    const unseen = (fixture.provenance['unseenStudies'] as { study: string; slices: number; perClass: Record<string, number> }[] | undefined) ?? [];
    const dicom = unseen.find((u) => u.study === 'ct_dicom');
    expect(dicom).toBeDefined();
    const train = (fixture.provenance['trainingSet'] as { train: string[] }).train;
    expect(train.some((n) => n.startsWith('ct_dicom'))).toBe(false);
    const { slices, dice } = await measure(onePatientDir, 'dicom', ['--sources', 'ct_dicom', '--all-slices']);
    expect(slices).toHaveLength(dicom?.slices ?? -1);
    const worst = compare(dice, dicom?.perClass ?? {});
    console.info(`demo 0.2.0 Dice on the unseen DICOM series: max |ORT - card| = ${worst.toExponential(2)} over ${slices.length} slices`);
  }, 120_000);
});
