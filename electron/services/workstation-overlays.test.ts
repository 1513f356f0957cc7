/**
 * The two "model vs human" overlays as main serves them (issue 17), through the handler table
 * with the shipped demo model on the shared CT: the last run's per-voxel uncertainty
 * (`segment.uncertainty`), and the human-edit marks every label change and the label state carry.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedStudy } from '../../common/contract/api.js';
import { ModelCard } from '../../common/contract/model-card.js';
import { HumanEdit, type LabelChange, type LabelState, type SegmentSummary, type VoxelUncertainty } from '../../common/contract/segmentation.js';
import type { VolumeMeta } from '../../common/contract/volume.js';
import { callApi } from '../../test-support/dispatch.js';
import { REPO_ROOT, TOTALSEG } from '../../test-support/paths.js';
import { readVolume } from './imaging/read-volume.js';
import { readSlice, sliceFrame } from './preprocessing/slice-frame.js';
import type { Workstation } from './workstation.js';
import { demoWorkstation } from '../../test-support/demo-workstation.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const card = ModelCard.parse(JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8')));
const CT = join(TOTALSEG, 'example_ct_sm.nii.gz');
const LIVER = card.classes.find((c) => c.name === 'liver')!.index;
const SPLEEN = card.classes.find((c) => c.name === 'spleen')!.index;
const [NX, NY, NZ] = [122, 101, 30];

let ws: Workstation;
const call = <T>(channel: string, arg: unknown): Promise<T> => callApi<T>(ws, channel, arg);
const open = async (path: string): Promise<VolumeMeta> =>
  (await call<OpenedStudy>('volume.open', { fileId: ws.files.grant(path, 'dialog').fileId })).meta;

/** The marks of `indices` as a change reports them (a voxel the change did not touch: undefined). */
function marksIn(change: LabelChange, indices: readonly number[]): (number | undefined)[] {
  const at = new Map<number, number>();
  change.indices.forEach((i, n) => at.set(i, change.edited[n]!));
  return indices.map((i) => at.get(i));
}

/** The marks of every voxel, from the label state's sparse list. */
function markVolume(state: LabelState): Uint8Array {
  const out = new Uint8Array(state.labels.length);
  state.edited.indices.forEach((i, n) => (out[i] = state.edited.marks[n]!));
  return out;
}

beforeAll(async () => {
  ws = await demoWorkstation({ sessionsDir: mkdtempSync(join(tmpdir(), 'hsam-overlays-')) });
});
afterAll(() => ws.dispose());

describe('the uncertainty overlay: per-voxel entropy of the last run', () => {
  it('is null before a run, then one byte a voxel whose mean inside each slice’s foreground is the run’s per-slice uncertainty', async () => {
    const meta = await open(CT);
    expect(await call<VoxelUncertainty | null>('segment.uncertainty', { volumeId: meta.volumeId })).toBeNull();
    const summary = await call<SegmentSummary>('segment.start', { volumeId: meta.volumeId, batch: 8 });
    const u = await call<VoxelUncertainty>('segment.uncertainty', { volumeId: meta.volumeId });
    expect(u.volumeId).toBe(meta.volumeId);
    expect(u.values).toBeInstanceOf(Uint8Array);
    expect(u.values.length).toBe(NX * NY * NZ);
    const state = await call<LabelState>('labels.get', { volumeId: meta.volumeId });

    // Read both in the model's slice frame (its slice order is the summary's).
    const frame = sliceFrame(await readVolume(CT), card.preprocessing['CT']!.orientation);
    const labels = new Float32Array(frame.width * frame.height);
    const entropy = new Float32Array(frame.width * frame.height);
    let lo = 255;
    let hi = 0;
    for (let z = 0; z < frame.depth; z++) {
      readSlice(frame, state.labels, z, labels);
      readSlice(frame, u.values, z, entropy);
      let sum = 0;
      let count = 0;
      entropy.forEach((e, p) => {
        lo = Math.min(lo, e);
        hi = Math.max(hi, e);
        if (labels[p] !== 0) {
          sum += e / 255;
          count++;
        }
      });
      // Rounding to a byte moves each voxel by at most half a step.
      expect(Math.abs((count > 0 ? sum / count : 0) - summary.uncertainty[z]!), `slice ${z}`).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    }
    // A real map: sure somewhere (deep inside an organ or the air), unsure somewhere (its borders).
    expect(lo).toBeLessThan(10);
    expect(hi).toBeGreaterThan(100);
  });

  it('belongs to its study: another study has none until it is run', async () => {
    const other = await open(join(TOTALSEG, 'example_mr_sm.nii.gz'));
    expect(await call<VoxelUncertainty | null>('segment.uncertainty', { volumeId: other.volumeId })).toBeNull();
    await call('volume.close', { volumeId: other.volumeId });
  });
});

describe('the human-edits overlay: voxels a human changed apart from the proposal', () => {
  it('marks painted, erased and re-proposed voxels; follows undo, redo, a new run and a revert', async () => {
    const meta = await open(CT);
    const volumeId = meta.volumeId;
    const before = await call<LabelState>('labels.get', { volumeId });
    // The study keeps its labels from the run above (same source, same session).
    expect(before.labels.some((v) => v === LIVER)).toBe(true);
    expect(before.edited.indices.length).toBe(0);

    // On one axial slice: background voxels, liver voxels and spleen voxels of the proposal.
    const k = 15;
    const inSlice = (want: (v: number) => boolean, n: number): number[] => {
      const out: number[] = [];
      for (let i = k * NX * NY; i < (k + 1) * NX * NY && out.length < n; i++) if (want(before.labels[i]!)) out.push(i);
      return out;
    };
    const background = inSlice((v) => v === 0, 40);
    const liver = inSlice((v) => v === LIVER, 40);
    const spleen = inSlice((v) => v === SPLEEN, 20);
    expect(liver).toHaveLength(40);
    expect(spleen).toHaveLength(20);

    // Liver painted onto background: changed. Liver painted onto liver: the proposal, so no mark.
    const paint = await call<LabelChange>('labels.paint', { volumeId, indices: Uint32Array.from([...background, ...liver.slice(0, 20)]), value: LIVER });
    expect(paint.edited.length).toBe(paint.indices.length);
    expect(marksIn(paint, background)).toEqual(background.map(() => HumanEdit.changed));
    expect(marksIn(paint, liver.slice(0, 20))).toEqual(liver.slice(0, 20).map(() => HumanEdit.none));
    // Erasing the proposal is a change too, drawn apart: erased.
    const erase = await call<LabelChange>('labels.paint', { volumeId, indices: Uint32Array.from(liver.slice(20)), value: 0 });
    expect(marksIn(erase, liver.slice(20))).toEqual(liver.slice(20).map(() => HumanEdit.erased));
    // Liver over spleen (paint-over all): changed.
    const over = await call<LabelChange>('labels.paint', { volumeId, indices: Uint32Array.from(spleen), value: LIVER, paintOver: 'all' });
    expect(marksIn(over, spleen)).toEqual(spleen.map(() => HumanEdit.changed));

    const expected = new Uint8Array(NX * NY * NZ);
    background.forEach((i) => (expected[i] = HumanEdit.changed));
    spleen.forEach((i) => (expected[i] = HumanEdit.changed));
    liver.slice(20).forEach((i) => (expected[i] = HumanEdit.erased));
    const state = await call<LabelState>('labels.get', { volumeId });
    expect(Buffer.from(markVolume(state)).equals(Buffer.from(expected))).toBe(true);

    // Undo clears the marks of the step it undoes, and only those; redo brings them back.
    const undo = await call<LabelChange>('labels.undo', { volumeId });
    expect(marksIn(undo, spleen)).toEqual(spleen.map(() => HumanEdit.none));
    expect(Array.from((await call<LabelState>('labels.get', { volumeId })).edited.indices).some((i) => spleen.includes(i))).toBe(false);
    const redo = await call<LabelChange>('labels.redo', { volumeId });
    expect(marksIn(redo, spleen)).toEqual(spleen.map(() => HumanEdit.changed));

    // A new run keeps human voxels, so their marks stay.
    const rerun = await call<SegmentSummary>('segment.start', { volumeId, batch: 8 });
    expect(marksIn(rerun.change, [...background, ...spleen, ...liver.slice(20)]).every((m) => m === undefined)).toBe(true);
    expect(Buffer.from(markVolume(await call<LabelState>('labels.get', { volumeId }))).equals(Buffer.from(expected))).toBe(true);

    // Reverting the liver on the slice to the proposal: painted background and spleen are unmarked, the erase is undone.
    const axis = (await call<LabelState>('labels.get', { volumeId })).statusAxis;
    expect(axis).toBe(2);
    const revert = await call<LabelChange>('labels.apply', { volumeId, tool: { kind: 'revert', classIndex: LIVER, axis, slice: k } });
    expect(marksIn(revert, [...background, ...spleen]).every((m) => m === HumanEdit.none)).toBe(true);
    const after = markVolume(await call<LabelState>('labels.get', { volumeId }));
    expect([...background, ...spleen, ...liver].map((i) => after[i])).toEqual([...background, ...spleen, ...liver].map(() => HumanEdit.none));
  });
});
