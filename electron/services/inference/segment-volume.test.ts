/**
 * The volume pipeline on real onnxruntime-node sessions of a real (tiny, random-weight) H-SAM
 * model, on the shared CT. Quality is the demo model's business; here: geometry, consistency
 * with the argmax of the decoder's logits, batching, caching, progress and cancel.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../../../test-support/paths.js';
import { tinyModel } from '../../../test-support/tiny-model.js';
import { readNifti } from '../imaging/nifti.js';
import type { Volume } from '../imaging/volume.js';
import { loadModelFolder, type ModelFolder } from './model-folder.js';
import { createOrtEngine, type OrtEngine } from './ort-engine.js';
import { readSlice, sliceFrame } from '../preprocessing/slice-frame.js';
import { applyWindow, preprocessingFor } from '../preprocessing/model-input.js';
import { segmentVolume, type Engine, type SegmentProgress } from './segment-volume.js';
import { argmax, softmaxArgmax } from './slice-steps.js';
import { resizeBilinear } from './resample.js';
import * as ort from 'onnxruntime-node';

let model: ModelFolder;
let engine: OrtEngine;
let ct: Volume;

/** The real engine, counting how many slices each graph saw. */
function counting(e: Engine): Engine & { encoded: number; decoded: number } {
  const c = {
    encoded: 0,
    decoded: 0,
    encode: (x: Float32Array, b: number) => ((c.encoded += b), e.encode(x, b)),
    decode: (x: Float32Array, b: number) => ((c.decoded += b), e.decode(x, b)),
  };
  return c;
}

beforeAll(async () => {
  model = await loadModelFolder(tinyModel());
  engine = await createOrtEngine(model, 'cpu');
  ct = await readNifti(join(TOTALSEG, 'example_ct_sm.nii.gz'));
});
afterAll(async () => engine?.release());

describe('segmentVolume', () => {
  it('labels every slice in the volume grid, with per-slice uncertainty and progress', async () => {
    const progress: SegmentProgress[] = [];
    const r = await segmentVolume(ct, model.card, engine, { modality: undefined, batch: 4, onProgress: (p) => progress.push(p) });
    expect(r.labels.length).toBe(ct.voxels.length);
    expect(r.completed.length).toBe(30);
    expect(r.cancelled).toBe(false);
    expect(Array.from(r.uncertainty).every((u) => u >= 0 && u <= 1)).toBe(true);
    expect(progress.map((p) => p.done)).toEqual([4, 8, 12, 16, 20, 24, 28, 30]);
    expect(progress.at(-1)?.etaMs).toBe(0);
    expect(r.labels.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(8);
  });

  it('agrees with the argmax of the decoder graph’s logits when no resize is involved', async () => {
    // A 224×224×2 volume: slices already at the model's size, so our softmax/argmax (graphs or
    // JavaScript) must equal the argmax of the decoder graph's logits on the same encoder input.
    const s = model.card.input.size;
    const voxels = new Int16Array(s * s * 2);
    voxels.set(ct.voxels.subarray(0, Math.min(voxels.length, ct.voxels.length)));
    const vol = { ...ct, dims: [s, s, 2] as const, voxels };
    // The graphs on the very input the pipeline gave its encoder, in one batch of 2 as it did
    // (a batch of 1 can round differently).
    let images = new Float32Array(0);
    const recording: Engine = {
      ...engine,
      encode: (x, b) => ((images = x.slice()), engine.encode(x, b)),
      decode: (x, b) => engine.decode(x, b),
    };
    const r = await segmentVolume(vol, model.card, recording, { modality: 'CT', batch: 2 });
    expect(recording.sliceSteps).toBeDefined();

    const frame = sliceFrame(vol, preprocessingFor(model.card, 'CT').orientation);
    const planes = [0, 1].map((z) => applyWindow(readSlice(frame, voxels, z, new Float32Array(s * s)), preprocessingFor(model.card, 'CT')));
    // At the model's size the preprocessing is the window alone (float32 rounding apart).
    expect(Math.max(...images.subarray(3 * s * s, 4 * s * s).map((v, i) => Math.abs(v - planes[1]![i]!)))).toBeLessThan(1e-6);
    const enc = await ort.InferenceSession.create(model.encoderPath);
    const dec = await ort.InferenceSession.create(model.decoderPath);
    const differing = async (input: Float32Array, labels: Uint8Array): Promise<number> => {
      const emb = (await enc.run({ image: new ort.Tensor('float32', input, [2, 3, s, s]) }))['embeddings'];
      const logits = (await dec.run({ embeddings: emb as ort.Tensor }))['logits']?.data as Float32Array;
      const classes = model.card.classes.length;
      let n = 0;
      for (const z of [0, 1]) {
        const graphLabels = argmax(logits.subarray(z * classes * s * s, (z + 1) * classes * s * s), classes, s * s);
        const ours = readSlice(frame, labels, z, new Float32Array(s * s));
        n += ours.reduce((c, v, i) => c + (v === graphLabels[i] ? 0 : 1), 0);
      }
      return n;
    };
    expect(await differing(images, r.labels)).toBe(0);

    // The JavaScript steps (model folders without the slice graphs) on their own input.
    const inJs = await segmentVolume(vol, model.card, { encode: engine.encode.bind(engine), decode: engine.decode.bind(engine) }, { modality: 'CT', batch: 2 });
    const jsImages = new Float32Array(6 * s * s);
    for (let c = 0; c < 6; c++) jsImages.set(planes[c < 3 ? 0 : 1]!, c * s * s);
    expect(await differing(jsImages, inJs.labels)).toBe(0);
    await enc.release();
    await dec.release();
  });

  it('reuses cached embeddings instead of re-running the encoder', async () => {
    const cache = new Map<number, Float32Array>();
    const e = counting(engine);
    const first = await segmentVolume(ct, model.card, e, { modality: 'CT', batch: 3, slices: [3, 4, 5], embeddingCache: cache });
    const second = await segmentVolume(ct, model.card, e, { modality: 'CT', batch: 3, slices: [4, 5, 6], embeddingCache: cache });
    expect([e.encoded, e.decoded]).toEqual([4, 6]);
    const frame = first.frame;
    const a = new Float32Array(frame.width * frame.height);
    const b = new Float32Array(frame.width * frame.height);
    expect(Array.from(readSlice(frame, second.labels, 5, b))).toEqual(Array.from(readSlice(frame, first.labels, 5, a)));
  });

  it('cancel stops after the batch in flight and keeps finished slices', async () => {
    const abort = new AbortController();
    // One batch at a time (the engine's pipelining off): nothing runs after the batch that saw the abort.
    const r = await segmentVolume(ct, model.card, { ...engine, pipelined: false }, {
      modality: 'CT',
      batch: 2,
      signal: abort.signal,
      onProgress: (p) => p.done >= 4 && abort.abort(),
    });
    expect(r.cancelled).toBe(true);
    expect(r.completed).toEqual([0, 1, 2, 3]);
    expect(Number.isNaN(r.uncertainty[4])).toBe(true);
    expect(Number.isNaN(r.uncertainty[3])).toBe(false);
  });

  it('pipelined, the next batch encodes while one decodes: the same labels, progress in order, and a cancel ends what is under way', async () => {
    expect(engine.pipelined).toBe(true); // the demo is small: its sessions split the cores
    const order: number[][] = [];
    const calls: string[] = [];
    const traced = {
      ...engine,
      encode: async (x: Float32Array, b: number) => {
        calls.push('enc+');
        const out = await engine.encode(x, b);
        calls.push('enc-');
        return out;
      },
      decode: async (x: Float32Array, b: number) => {
        calls.push('dec+');
        const out = await engine.decode(x, b);
        calls.push('dec-');
        return out;
      },
    };
    const piped = await segmentVolume(ct, model.card, traced, { modality: 'CT', batch: 2, onProgress: (p) => order.push([...p.slices]) });
    const serial = await segmentVolume(ct, model.card, { ...engine, pipelined: false }, { modality: 'CT', batch: 2 });
    expect(piped.labels).toEqual(serial.labels);
    expect(piped.entropy).toEqual(serial.entropy);
    expect(order.flat()).toEqual(Array.from({ length: serial.frame.depth }, (_, z) => z));
    // Some encoder call began while a decoder call was under way.
    let decoding = 0;
    let overlapped = false;
    for (const c of calls) {
      if (c === 'dec+') decoding++;
      else if (c === 'dec-') decoding--;
      else if (c === 'enc+' && decoding > 0) overlapped = true;
    }
    expect(overlapped).toBe(true);

    const abort = new AbortController();
    const r = await segmentVolume(ct, model.card, engine, { modality: 'CT', batch: 2, signal: abort.signal, onProgress: (p) => p.done >= 4 && abort.abort() });
    expect(r.cancelled).toBe(true);
    // The batches already under way (at most two more) end and are kept; nothing after them runs.
    expect(r.completed.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(r.completed.length).toBeLessThanOrEqual(8);
    expect(r.completed).toEqual(Array.from({ length: r.completed.length }, (_, z) => z));
    for (let z = 0; z < r.frame.depth; z++) expect(Number.isNaN(r.uncertainty[z]), `slice ${z}`).toBe(z >= r.completed.length);
  });

  it('refuses a modality the model has no preprocessing for', async () => {
    await expect(segmentVolume(ct, model.card, engine, { modality: 'MR' })).rejects.toThrow(
      `Model ${model.card.name} ${model.card.version} has no preprocessing for MR images (it supports CT).`,
    );
  });
});

describe('softmaxArgmax', () => {
  it('probabilities, labels and normalised entropy per pixel', () => {
    const logits = Float32Array.from([0, 10, 0, /* class 1 */ 0, 0, 0]);
    const { labels, entropy } = softmaxArgmax(logits, 2, 3);
    expect(Array.from(labels)).toEqual([0, 0, 0]);
    expect(entropy[1]).toBeLessThan(0.01);
    expect(entropy[0]).toBeCloseTo(1, 6);
    expect(logits[1]! + logits[4]!).toBeCloseTo(1, 6);
    expect(resizeBilinear(logits, 2, 3, 1, 3, 1)).toEqual(logits);
  });
});
