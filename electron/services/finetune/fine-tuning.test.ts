/**
 * Fine-tuning as the app runs it (handler table → trainer child process → registry): a cancel
 * registers nothing and leaves nothing behind; a run registers a new, inactive version that keeps
 * the slices it was trained on, while later exports grow the set without touching that copy;
 * one run at a time.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload, OpenedStudy } from '../../../common/contract/api.js';
import type { FinetuneResult, ModelRegistryState, TrainingExportResult } from '../../../common/contract/learning.js';
import type { VolumeMeta } from '../../../common/contract/volume.js';
import { REPO_ROOT, TOTALSEG } from '../../../test-support/paths.js';
import type { Workstation } from '../workstation.js';
import { callApi } from '../../../test-support/dispatch.js';
import { demoWorkstation } from '../../../test-support/demo-workstation.js';

const dataDir = mkdtempSync(join(tmpdir(), 'hsam-ft-'));
const progress: EventPayload<'finetuneProgress'>[] = [];
/** The shipped demo's version, as its card states it. */
const DEMO_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'native-models', 'models', 'demo', 'model.json'), 'utf8')) as { version: string }).version;
let ws: Workstation;
let meta: VolumeMeta;

const call = <T>(channel: string, arg: unknown): Promise<T> => callApi<T>(ws, channel, arg);

beforeAll(async () => {
  ws = await demoWorkstation({
    emit: (event, payload) => {
      if (event === 'finetuneProgress') progress.push(payload as EventPayload<'finetuneProgress'>);
    },
    sessionsDir: join(dataDir, 'sessions'),
    dataDir,
    trainerScript: join(REPO_ROOT, 'native-models', 'hsam.py'),
  });
  meta = (await call<OpenedStudy>('volume.open', { fileId: ws.files.grant(join(TOTALSEG, 'example_ct_sm.nii.gz'), 'dialog').fileId })).meta;
  await call('segment.start', { volumeId: meta.volumeId });
  await call('labels.setSliceStatus', { volumeId: meta.volumeId, slices: [3, 8, 13, 18, 23], status: 'reviewed' });
  await call<TrainingExportResult>('export.trainingSlices', { volumeId: meta.volumeId });
}, 120_000);
afterAll(() => ws.dispose());

describe('fine-tuning from the app', () => {
  it('runs one at a time; a cancel mid-training registers nothing and leaves nothing behind', async () => {
    const run = ws.dispatch('finetune.start', { steps: 40 });
    await expect.poll(() => progress.length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await ws.dispatch('finetune.start', { steps: 2 })).toEqual({
      ok: false,
      error: { code: 'invalid-argument', message: 'A fine-tuning run is in progress; wait for it or cancel it.' },
    });
    // …and a cancel mid-training registers nothing and leaves no folder behind.
    await expect.poll(() => progress.some((p) => p.phase === 'training'), { timeout: 60_000, interval: 50 }).toBe(true);
    expect(await call('finetune.cancel', {})).toEqual({ cancelling: true });
    expect(await run).toEqual({ ok: false, error: { code: 'cancelled', message: expect.stringMatching(/cancel/i) as unknown } });
    expect((await call<ModelRegistryState>('models.list', {})).versions.map((v) => v.version)).toEqual([DEMO_VERSION]);
    expect(readdirSync(join(dataDir, 'finetune-runs'))).toEqual([]);
  }, 120_000);

  it('registers a new, inactive version that keeps a copy of the slices it was trained on', async () => {
    progress.length = 0;
    const r = await call<FinetuneResult>('finetune.start', { steps: 3 });
    expect(r.steps).toBe(3);
    expect(r.device).toBe('cpu');
    expect(r.version).toMatchObject({ name: 'hsam-tiny-demo', parent: { name: 'hsam-tiny-demo', version: DEMO_VERSION }, trainingSet: { slices: 5 }, active: false });
    expect(r.version.baseline?.mean).toBeGreaterThan(0);
    expect(r.version.quality?.mean).toBeGreaterThan(0);
    const phases = progress.map((p) => p.phase);
    expect(phases.indexOf('training')).toBeLessThan(phases.lastIndexOf('registering'));
    const list = await call<ModelRegistryState>('models.list', {});
    expect(list.versions.map((v) => [v.version, v.active])).toEqual([
      [DEMO_VERSION, true],
      [r.version.version, false],
    ]);
    // A later export grows the live set; the version's copy stays as it was trained.
    await call('labels.setSliceStatus', { volumeId: meta.volumeId, slices: [27], status: 'reviewed' });
    await call('export.trainingSlices', { volumeId: meta.volumeId });
    const versionsDir = join(dataDir, 'models', 'versions');
    const [folder] = readdirSync(versionsDir);
    const kept = JSON.parse(readFileSync(join(versionsDir, folder!, 'training-set', 'manifest.json'), 'utf8')) as { slices: unknown[] };
    const live = JSON.parse(readFileSync(join(dataDir, 'training-sets', 'hsam-tiny-demo', 'manifest.json'), 'utf8')) as { slices: unknown[] };
    expect([kept.slices.length, live.slices.length]).toEqual([5, 6]);
    expect(existsSync(join(versionsDir, folder!, 'model.json'))).toBe(true);
    expect(readdirSync(join(dataDir, 'finetune-runs'))).toEqual([]);
  }, 180_000);
});
