/**
 * The worklist through the handler table, as the app drives it: three real studies (the shared
 * NIfTI, the DICOM series, a copy with hsam segment's labels beside it), statuses as edits and
 * runs happen, the next case pre-segmented in the background, Save & next, and a restart.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload, OpenedStudy } from '../../../common/contract/api.js';
import type { ModelStatus } from '../../../common/contract/segmentation.js';
import type { OpenedCase, WorklistState } from '../../../common/contract/worklist.js';
import { REPO_ROOT, TOTALSEG } from '../../../test-support/paths.js';
import { callApi } from '../../../test-support/dispatch.js';
import { runHsam } from '../../../test-support/cli.js';
import { readVolume } from '../imaging/read-volume.js';
import { createWorkstation, type Workstation } from '../workstation.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
let dir: string;
let cases: string;
let dataDir: string;
const changes: WorklistState[] = [];

const workstation = (): Workstation =>
  createWorkstation({
    version: 'test',
    emit: (event, payload) => {
      if (event === 'worklistChanged') changes.push(payload as EventPayload<'worklistChanged'>);
    },
    dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
    sessionsDir: join(dataDir, 'sessions'),
    dataDir,
  });
let ws: Workstation;
const call = <T>(channel: string, arg: unknown): Promise<T> => callApi<T>(ws, channel, arg);
const statuses = (s: WorklistState): string[] => s.cases.map((c) => c.status);

/** Wait until a worklistChanged event satisfies `ok` (the background run ends in its own time). */
async function until(ok: (s: WorklistState) => boolean, ms = 60_000): Promise<WorklistState> {
  const t0 = Date.now();
  for (;;) {
    const hit = changes.find(ok);
    if (hit) return hit;
    if (Date.now() - t0 > ms) throw new Error(`no worklist change matched in ${ms} ms; last: ${JSON.stringify(changes.at(-1))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hsam-worklist-'));
  cases = join(dir, 'cases');
  dataDir = join(dir, 'data');
  mkdirSync(cases);
  cpSync(join(TOTALSEG, 'example_ct_sm.nii.gz'), join(cases, 'a_ct.nii.gz'));
  cpSync(join(TOTALSEG, 'example_ct_dicom'), join(cases, 'b_dicom'), { recursive: true });
  cpSync(join(TOTALSEG, 'example_ct_sm.nii.gz'), join(cases, 'c_copy.nii.gz'));
  // What `hsam segment cases --out cases` leaves beside c_copy (here: the reference labels).
  cpSync(join(TOTALSEG, 'example_seg.nii.gz'), join(cases, 'c_copy.labels.nii.gz'));
  ws = workstation();
});
afterAll(() => ws.dispose());

describe('worklist', () => {
  it('lists the three studies, new, and which one hsam segment already labelled', async () => {
    expect(await call('worklist.get', {})).toBeNull();
    const state = await call<WorklistState>('worklist.open', { fileId: ws.files.grant(cases, 'dialog').fileId });
    expect(state.name).toBe('cases');
    expect(state.cases.map((c) => [c.name, c.kind, c.status, c.precomputed])).toEqual([
      ['a_ct.nii.gz', 'volume', 'new', false],
      ['b_dicom', 'dicom-folder', 'new', false],
      ['c_copy.nii.gz', 'volume', 'new', true],
    ]);
  });

  it('pre-segments the next case in the background while the first is open; opening it shows its labels at once', async () => {
    await call<ModelStatus>('model.load', { fileId: ws.files.grant(DEMO, 'resource').fileId });
    const first = await call<OpenedCase<OpenedStudy>>('worklist.openCase', { index: 0, prefetchNext: true });
    expect(first.study.meta.dims).toEqual([122, 101, 30]);
    expect(first.worklist.current).toBe(0);
    expect(first.worklist.prefetch).toMatchObject({ index: 1, state: 'running' });
    const done = await until((s) => s.prefetch?.index === 1 && s.prefetch.state === 'done');
    expect(done.cases[1]).toMatchObject({ status: 'auto-segmented', by: expect.stringMatching(/^hsam-tiny-demo /) as unknown });
    expect(done.cases[0]!.status).toBe('new');

    const second = await call<OpenedCase<OpenedStudy>>('worklist.openCase', { index: 1 });
    expect(second.study.meta.dims).toEqual([512, 512, 20]);
    const labelled = second.study.labels.labels.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    expect(labelled).toBeGreaterThan(10_000);
    expect(second.study.labels.models.map((m) => m.name)).toEqual(['hsam-tiny-demo']);
    expect(Array.from(second.study.labels.sliceStatus).every((s) => s === 1)).toBe(true);
    expect(second.labelsFrom).toBeNull();

    // An edit makes it "in progress", by the annotator; Save & next marks it reviewed and names the next case.
    await call('labels.paint', { volumeId: second.study.meta.volumeId, indices: Uint32Array.of(0, 1, 2), value: 3 });
    const edited = (await call<WorklistState>('worklist.get', {})).cases[1]!;
    expect(edited.status).toBe('in progress');
    expect(edited.by).not.toMatch(/hsam/);
    const saved = await call<{ worklist: WorklistState; next: number | null }>('worklist.saveAndNext', { volumeId: second.study.meta.volumeId });
    expect(saved.next).toBe(2);
    expect(statuses(saved.worklist)).toEqual(['new', 'reviewed', 'new']);
    await call('volume.close', { volumeId: second.study.meta.volumeId });
    await call('volume.close', { volumeId: first.study.meta.volumeId });
  }, 180_000);

  it("takes hsam segment's labels as the model's proposal instead of running the model", async () => {
    const third = await call<OpenedCase<OpenedStudy>>('worklist.openCase', { index: 2 });
    expect(third.labelsFrom).toBe('hsam segment');
    const reference = await readVolume(join(TOTALSEG, 'example_seg.nii.gz'));
    expect(Buffer.from(third.study.labels.labels).equals(Buffer.from(reference.voxels as Uint8Array))).toBe(true);
    expect(third.worklist.cases[2]!.status).toBe('auto-segmented');
    // One undoable step, like a run made here.
    expect(third.study.labels.canUndo).toBe(true);
    await call('volume.close', { volumeId: third.study.meta.volumeId });
  });

  it('cancels the background run when the annotator opens another case', async () => {
    const before = changes.length;
    await call('worklist.setStatus', { index: 1, status: 'in progress' });
    // From case 2 the next unfinished one wraps to case 0, which is new: it is pre-segmented…
    const c = await call<OpenedCase<OpenedStudy>>('worklist.openCase', { index: 2, prefetchNext: true });
    expect(c.worklist.prefetch).toMatchObject({ index: 0, state: 'running' });
    // …until the annotator opens case 1 instead.
    const other = await call<OpenedCase<OpenedStudy>>('worklist.openCase', { index: 1 });
    expect(other.worklist.prefetch).toBeNull();
    expect(changes.slice(before).some((s) => s.prefetch?.index === 0 && s.prefetch.state === 'cancelled')).toBe(true);
    expect(other.worklist.cases[0]!.status).toBe('new');
    await call('volume.close', { volumeId: c.study.meta.volumeId });
    await call('volume.close', { volumeId: other.study.meta.volumeId });
  }, 120_000);

  it('survives a restart: the same worklist and statuses come back', async () => {
    await ws.dispose();
    ws = workstation();
    const state = await call<WorklistState>('worklist.get', {});
    expect(state.name).toBe('cases');
    expect(statuses(state)).toEqual(['new', 'in progress', 'auto-segmented']);
    // The pre-segmented case's labels were saved in its session: they open again.
    const b = await call<OpenedCase<OpenedStudy>>('worklist.openCase', { index: 1 });
    expect(b.study.labels.labels[0]).toBe(3);
    expect(b.study.labels.models.map((m) => m.name)).toEqual(['hsam-tiny-demo']);
  });

  it("does not pre-segment a DICOM case hsam segment already labelled: it opens with those labels", async () => {
    const more = join(dir, 'more');
    mkdirSync(more);
    cpSync(join(TOTALSEG, 'example_ct_sm.nii.gz'), join(more, 'a_ct.nii.gz'));
    cpSync(join(TOTALSEG, 'example_ct_dicom'), join(more, 'b_dicom'), { recursive: true });
    // hsam segment over the series, into the worklist folder (the series is anonymised: no Series Instance UID).
    const seg = await runHsam(['segment', join(more, 'b_dicom'), '--out', more, '--model', DEMO, '--device', 'cpu']);
    expect(seg.code, seg.err).toBe(0);
    const written = readdirSync(more).filter((n) => n.endsWith('.labels.nii.gz'));
    expect(written).toHaveLength(1);
    let segmented = 0;
    for (const v of (await readVolume(join(more, written[0]!))).voxels) if (v > 0) segmented++;
    await call<WorklistState>('worklist.open', { fileId: ws.files.grant(more, 'dialog').fileId });
    await call<ModelStatus>('model.load', { fileId: ws.files.grant(DEMO, 'resource').fileId });
    const a = await call<OpenedCase<OpenedStudy>>('worklist.openCase', { index: 0, prefetchNext: true });
    expect(a.worklist.prefetch).toMatchObject({ index: 1 });
    const done = await until((st) => st.name === 'more' && st.prefetch?.index === 1 && st.prefetch.state === 'done');
    // No model run: the case is still new, and now known to have labels waiting.
    expect(done.cases[1]).toMatchObject({ status: 'new', precomputed: true });
    const b = await call<OpenedCase<OpenedStudy>>('worklist.openCase', { index: 1 });
    expect(b.labelsFrom).toBe('hsam segment');
    expect(b.study.labels.labels.reduce((n, v) => n + (v > 0 ? 1 : 0), 0)).toBe(segmented);
    expect(segmented).toBeGreaterThan(10_000);
    await call('volume.close', { volumeId: a.study.meta.volumeId });
    await call('volume.close', { volumeId: b.study.meta.volumeId });
  }, 120_000);

  it('says what is wrong with a folder that holds no studies', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = await ws.dispatch('worklist.open', { fileId: ws.files.grant(empty, 'dialog').fileId });
    expect(r).toEqual({ ok: false, error: { code: 'not-found', message: 'empty holds no studies (volume files or DICOM folders).' } });
  });
});
