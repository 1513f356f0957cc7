/**
 * The slice steps in onnxruntime (the demo folder's preprocess.onnx and postprocess.onnx) against
 * the JavaScript steps that older model folders use, on the shared CT (122×101 slices: resized up
 * to 224 and back) and the DICOM series (512×512: resized down and back up), with the demo's real
 * weights so the labels are organs, not noise: the same encoder input to float32 rounding, the
 * same labels and uncertainty from the same logits, and the same labels end to end.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DIR } from '../../../test-support/demo-model.js';
import { TOTALSEG } from '../../../test-support/paths.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Volume } from '../imaging/volume.js';
import { inferModality, preprocessingFor } from '../preprocessing/model-input.js';
import { readSlice, sliceFrame } from '../preprocessing/slice-frame.js';
import { loadModelFolder, type ModelFolder } from './model-folder.js';
import { createOrtEngine, type OrtEngine } from './ort-engine.js';
import { segmentVolume } from './segment-volume.js';
import { jsSliceSteps, softmaxArgmax, type SliceSteps } from './slice-steps.js';
import { resizeBilinear } from './resample.js';

let model: ModelFolder;
let engine: OrtEngine;
const volumes = new Map<string, Volume>();

beforeAll(async () => {
  model = await loadModelFolder(DEMO_DIR);
  engine = await createOrtEngine(model, 'cpu');
  volumes.set('ct_sm', await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz')));
  volumes.set('ct_dicom', await readVolume(join(TOTALSEG, 'example_ct_dicom')));
}, 60_000);
afterAll(async () => engine?.release());

const graphs = (): SliceSteps => {
  if (!engine.sliceSteps) throw new Error('the demo folder has no slice graphs');
  return engine.sliceSteps;
};

/** Slices zs of a volume in the model frame, [B,H,W], with the card's preprocessing. */
function rawSlices(volume: Volume, zs: readonly number[]) {
  const pre = preprocessingFor(model.card, inferModality(volume.modality, volume.voxels));
  const frame = sliceFrame(volume, pre.orientation);
  const { width, height } = frame;
  const raw = new Float32Array(zs.length * width * height);
  zs.forEach((z, i) => readSlice(frame, volume.voxels, z, raw.subarray(i * width * height, (i + 1) * width * height)));
  return { raw, pre, shape: { batch: zs.length, width, height } };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};
const differing = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
};

describe('slice graphs vs the JavaScript slice steps (demo model)', () => {
  it('the demo folder carries both graphs and the engine uses them', () => {
    expect(model.sliceGraphs).not.toBeNull();
    expect(engine.sliceSteps).toBeDefined();
  });

  it.each([['ct_sm'], ['ct_dicom']])('%s: the same encoder input, labels and uncertainty from the same logits', async (name) => {
    const volume = volumes.get(name)!;
    const s = model.card.input.size;
    const n = model.card.classes.length;
    const zs = [4, 5, 14, 15];
    const { raw, pre, shape } = rawSlices(volume, zs);
    const [fromGraph, fromJs] = [await graphs().preprocess(raw, shape, pre, s), await jsSliceSteps.preprocess(raw, shape, pre, s)];
    expect(fromGraph.length).toBe(zs.length * 3 * s * s);
    // Values in [0, 1]: float32 rounding of the windowing and of the bilinear taps' positions.
    expect(maxAbsDiff(fromGraph, fromJs)).toBeLessThan(2e-5);
    // Raw slices stay untouched (the JavaScript path windows a copy).
    expect(raw).toEqual(rawSlices(volume, zs).raw);

    const logits = await engine.decode(await engine.encode(fromJs, zs.length), zs.length);
    const g = await graphs().postprocess(logits.slice(), shape, n, s);
    const j = await jsSliceSteps.postprocess(logits.slice(), shape, n, s);
    expect(g.labels.length).toBe(zs.length * shape.width * shape.height);
    const organs = j.labels.reduce((c, l) => c + (l > 0 ? 1 : 0), 0);
    console.info(`${name}: ${organs} organ pixels of ${j.labels.length}; labels differ on ${differing(g.labels, j.labels)}; uncertainty graph ${Array.from(g.uncertainty, (u) => u.toFixed(5)).join(' ')}, JS ${Array.from(j.uncertainty, (u) => u.toFixed(5)).join(' ')}`);
    expect(organs).toBeGreaterThan(1000);
    // Only near-ties of two classes can flip with float32 rounding.
    expect(differing(g.labels, j.labels)).toBeLessThanOrEqual(j.labels.length * 1e-4);
    expect(maxAbsDiff(g.uncertainty, j.uncertainty)).toBeLessThan(1e-4);
    // The per-pixel entropy byte (the uncertainty overlay): at most one step apart (rounding at .5).
    expect(g.entropy.length).toBe(j.entropy.length);
    expect(maxAbsDiff(g.entropy, j.entropy)).toBeLessThanOrEqual(1);
    expect(j.entropy.some((e) => e > 64)).toBe(true);
  }, 60_000);

  it.each([['ct_sm'], ['ct_dicom']])('%s: segmentVolume gives the same labels with the graphs as in JavaScript', async (name) => {
    const volume = volumes.get(name)!;
    const inJs = { encode: engine.encode.bind(engine), decode: engine.decode.bind(engine) };
    const a = await segmentVolume(volume, model.card, engine, { modality: volume.modality, batch: 4 });
    const b = await segmentVolume(volume, model.card, inJs, { modality: volume.modality, batch: 4 });
    const diff = differing(a.labels, b.labels);
    console.info(`${name}: segmentVolume with the slice graphs vs JavaScript: ${diff} of ${a.labels.length} voxels differ, uncertainty max |Δ| ${maxAbsDiff(a.uncertainty, b.uncertainty).toExponential(1)}`);
    // float32 rounding differences in the encoder's input flip only near-ties (measured: 9 of
    // 369 660 voxels of ct_sm, 47 of 5 242 880 of the DICOM series).
    expect(diff).toBeLessThanOrEqual(a.labels.length * 1e-4);
    expect(maxAbsDiff(a.uncertainty, b.uncertainty)).toBeLessThan(1e-3);
  }, 120_000);

  it('a slice with no foreground has uncertainty 0, and the model-size path needs no resize', async () => {
    const s = model.card.input.size;
    const n = model.card.classes.length;
    // Background wins everywhere in slice 0; in slice 1 class 3 wins in one pixel.
    const logits = new Float32Array(2 * n * s * s);
    for (let i = 0; i < 2; i++) logits.fill(4, i * n * s * s, i * n * s * s + s * s);
    logits[(n + 3) * s * s + 7] = 30;
    const shape = { batch: 2, width: s, height: s };
    const g = await graphs().postprocess(logits.slice(), shape, n, s);
    const j = await jsSliceSteps.postprocess(logits.slice(), shape, n, s);
    expect(Array.from(g.uncertainty)).toEqual([0, expect.any(Number)]);
    expect(g.labels[s * s + 7]).toBe(3);
    expect(differing(g.labels, j.labels)).toBe(0);
    expect(maxAbsDiff(g.uncertainty, j.uncertainty)).toBeLessThan(1e-6);
    // The JavaScript reference itself: probabilities of class 3 at that pixel ≈ 1, entropy ≈ 0.
    const one = logits.slice(n * s * s, 2 * n * s * s);
    const { labels, entropy } = softmaxArgmax(one, n, s * s);
    expect(labels[7]).toBe(3);
    expect(entropy[7]).toBeLessThan(0.01);
    expect(resizeBilinear(one, n, s, s, s, s)).toEqual(one);
  });

  it('a file that is not the graph its card names is refused when the model loads', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hsam-swapped-graphs-')), 'demo');
    cpSync(DEMO_DIR, dir, { recursive: true, filter: (f) => !f.endsWith('.pt') });
    copyFileSync(join(dir, 'postprocess.onnx'), join(dir, 'preprocess.onnx'));
    const card = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { files: Record<string, { bytes: number }> };
    card.files['preprocess']!.bytes = statSync(join(dir, 'preprocess.onnx')).size;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(card));
    try {
      await expect(createOrtEngine(await loadModelFolder(dir), 'cpu')).rejects.toThrow(
        'demo/preprocess.onnx is not a preprocess graph: it takes logits, size and gives labels, uncertainty, entropy (expected slices, window, range, size → image).',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
