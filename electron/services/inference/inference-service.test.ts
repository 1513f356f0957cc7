/** The inference service end to end: its worker thread, real sessions, the shared CT. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TOTALSEG } from '../../../test-support/paths.js';
import { tinyModel } from '../../../test-support/tiny-model.js';
import { readNifti } from '../imaging/nifti.js';
import type { Volume } from '../imaging/volume.js';
import { InferenceService } from './inference-service.js';
import { loadModelFolder } from './model-folder.js';
import { createOrtEngine } from './ort-engine.js';
import { segmentVolume } from './segment-volume.js';

const service = new InferenceService();
let ct: Volume;
let modelDir: string;

beforeAll(async () => {
  modelDir = tinyModel();
  ct = await readNifti(join(TOTALSEG, 'example_ct_sm.nii.gz'));
});
afterAll(() => service.dispose());

describe('InferenceService', () => {
  it('says which provider runs the model, and why a GPU was not used', async () => {
    const m = await service.loadModel(modelDir, 'gpu');
    expect(m.report.provider).toBe('cpu');
    expect(m.report.skipped.map((s) => s.provider)).toContain('cuda');
    expect(m.report.skipped[0]?.reason).toMatch(/\S/);
    expect(m.card.classes).toHaveLength(9);
    expect(m.report.precision).toBe('fp32'); // this model's card offers no int8 variant
  });

  it('runs the int8 graphs on the CPU when the card offers them (the shipped demo does)', async () => {
    const demo = await loadModelFolder(join(REPO_ROOT, 'native-models', 'models', 'demo'));
    expect(demo.int8?.encoderPath).toMatch(/encoder\.int8\.onnx$/);
    const engine = await createOrtEngine(demo, 'auto');
    try {
      expect(engine.report.provider).toBe('cpu');
      expect(engine.report.precision).toBe('int8');
    } finally {
      await engine.release();
    }
  });

  it('segments in the worker exactly as the pipeline does in-process', async () => {
    await service.loadModel(modelDir, 'cpu');
    const progress: number[] = [];
    const job = service.segment('ct', ct, { batch: 5, onProgress: (p) => progress.push(p.done) });
    const r = await job.result;
    expect(progress).toEqual([5, 10, 15, 20, 25, 30]);
    expect(r.completed).toHaveLength(30);
    const model = await loadModelFolder(modelDir);
    const engine = await createOrtEngine(model, 'cpu');
    const direct = await segmentVolume(ct, model.card, engine, { modality: undefined, batch: 5 });
    await engine.release();
    expect(Buffer.from(r.labels).equals(Buffer.from(direct.labels))).toBe(true);
    expect(Array.from(r.uncertainty)).toEqual(Array.from(direct.uncertainty));
  });

  it('cancels mid-volume and keeps what finished', async () => {
    await service.loadModel(modelDir, 'cpu');
    let job: ReturnType<InferenceService['segment']> | null = null;
    job = service.segment('ct-cancel', ct, {
      batch: 2,
      onProgress: (p) => {
        if (p.done === 2) job?.cancel();
      },
    });
    const r = await job.result;
    expect(r.cancelled).toBe(true);
    expect(r.completed.length).toBeGreaterThanOrEqual(2);
    expect(r.completed.length).toBeLessThan(30);
  });

  it('a broken model folder is refused before the worker sees it, and the service stays usable', async () => {
    await expect(service.loadModel('/nonexistent/model')).rejects.toThrow('Model folder model not found; choose the folder that holds model.json.');
    const again = await service.loadModel(modelDir, 'cpu');
    expect(again.card.name).toBe('hsam');
  });
});
