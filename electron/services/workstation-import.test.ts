/**
 * `labels.import` through the handler table, as the renderer will call it: TotalSegmentator's
 * labels with its class table painted as the user's own (its Synapse organs matched to the demo
 * model's classes by name, the rest kept as extra classes), a two-layer 3D Slicer .seg.nrrd
 * merged as a proposal (human edits kept, the import named as the slices' source), one undo
 * step each, and refusals with a sentence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedStudy } from '../../common/contract/api.js';
import type { LabelImportResult } from '../../common/contract/label-import.js';
import type { LabelChange, LabelState } from '../../common/contract/segmentation.js';
import { callApi } from '../../test-support/dispatch.js';
import { REPO_ROOT, TOTALSEG } from '../../test-support/paths.js';
import { writeLayeredSegNrrd } from '../../test-support/slicer-seg-nrrd.js';
import { TOTAL_TO_MODEL } from '../../test-support/synapse.js';
import { readVolume } from './imaging/read-volume.js';
import type { Workstation } from './workstation.js';
import { demoWorkstation } from '../../test-support/demo-workstation.js';

const CT = join(TOTALSEG, 'example_ct_sm.nii.gz');
const SEG = join(TOTALSEG, 'example_seg.nii.gz');
const dir = mkdtempSync(join(tmpdir(), 'hsam-ws-import-'));
let ws: Workstation;
const call = <T>(channel: string, arg: unknown): Promise<T> => callApi<T>(ws, channel, arg);
const grant = (path: string): string => ws.files.grant(path, 'dialog').fileId;
const open = async (): Promise<string> => (await call<OpenedStudy>('volume.open', { fileId: grant(CT) })).meta.volumeId;

beforeAll(async () => {
  ws = await demoWorkstation({ sessionsDir: join(dir, 'sessions'), labelSchemasDir: join(REPO_ROOT, 'resources', 'label-schemas') });
}, 60_000);
afterAll(async () => {
  await ws.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('labels.import', () => {
  it("TotalSegmentator's labels as the user's own: organs on the model's classes, the rest extra, one undo step", async () => {
    const volumeId = await open();
    const total = Uint8Array.from((await readVolume(SEG)).voxels);
    const r = await call<LabelImportResult>('labels.import', { volumeId, fileId: grant(SEG), as: 'human', classes: grant(join(TOTALSEG, 'totalsegmentator_classes.json')) });
    expect(r.format).toBe('nifti');
    const onModel = r.classes.filter((c) => c.matched === 'model');
    // The eight Synapse organs, by TotalSegmentator's names, land on the demo model's indices.
    expect(Object.fromEntries(onModel.map((c) => [c.fileValue, c.index]))).toEqual(Object.fromEntries(Object.entries(TOTAL_TO_MODEL).map(([k, v]) => [Number(k), v])));
    expect(r.classes).toHaveLength(41);
    expect(r.extraClasses).toHaveLength(33);
    expect(r.extraClasses.map((c) => c.index)).toEqual(Array.from({ length: 33 }, (_, n) => 9 + n));
    const lut = new Map(r.classes.map((c) => [c.fileValue, c.index]));
    const state = await call<LabelState>('labels.get', { volumeId });
    let wrong = 0;
    let labelled = 0;
    for (let i = 0; i < total.length; i++) {
      if ((total[i] === 0 ? 0 : lut.get(total[i]!)) !== state.labels[i]) wrong++;
      if (total[i] !== 0) labelled++;
    }
    expect(wrong).toBe(0);
    expect(r.labelledVoxels).toBe(labelled);
    expect(r.change.indices.length).toBe(labelled);
    expect(r.warnings).toEqual([]);
    // Every labelled slice is now corrected, and one undo takes the whole import back.
    expect(new Set(state.sliceStatus)).toEqual(new Set([2]));
    const undone = await call<LabelChange>('labels.undo', { volumeId });
    expect(undone.indices.length).toBe(labelled);
    expect((await call<LabelState>('labels.get', { volumeId })).labels.every((v) => v === 0)).toBe(true);
  });

  it('a layered .seg.nrrd as a proposal: merged like a model run, the human-painted voxel kept', async () => {
    const volumeId = await open();
    const path = join(dir, 'layers.seg.nrrd');
    const f = writeLayeredSegNrrd(SEG, path);
    const liverVoxel = f.flat.indexOf(1);
    await call<LabelChange>('labels.paint', { volumeId, indices: Uint32Array.of(liverVoxel), value: 8 });
    const r = await call<LabelImportResult>('labels.import', { volumeId, fileId: grant(path), as: 'proposal' });
    expect(r.classes.map((c) => [c.name, c.index, c.matched])).toEqual([
      ['liver', 5, 'model'],
      ['spleen', 1, 'model'],
      ['Right kidney', 2, 'model'],
      // The first test's 33 extra classes are the annotator's own labels now (values 9–41): Tumour is new.
      ['Tumour', 42, 'extra'],
      ['kidney_left', 3, 'model'],
    ]);
    expect(r.warnings).toEqual([`${f.shared} voxels lie in more than one segment of layers.seg.nrrd; each was given the later segment.`]);
    const state = await call<LabelState>('labels.get', { volumeId });
    const lut = [0, 5, 1, 2, 42, 3];
    const set = await call<{ extra: { index: number; name: string }[] }>('labelSet.get', {});
    expect(set.extra).toHaveLength(34);
    expect(set.extra.at(-1)).toMatchObject({ index: 42, name: 'Tumour' });
    let wrong = 0;
    for (let i = 0; i < f.flat.length; i++) if (i !== liverVoxel && state.labels[i] !== lut[f.flat[i]!]) wrong++;
    expect(wrong).toBe(0);
    expect(state.labels[liverVoxel]).toBe(8);
    expect(state.models.at(-1)).toEqual({ name: 'imported layers.seg.nrrd', version: 'seg-nrrd' });
    expect(r.change.models).toEqual(state.models);
  });

  it('refuses, with a sentence: a file never chosen, labels that do not overlap, a bad argument', async () => {
    const volumeId = await open();
    const before = (await call<LabelState>('labels.get', { volumeId })).labels.slice();
    const refused = async (arg: unknown): Promise<string> => {
      const r = (await ws.dispatch('labels.import', arg));
      expect(r.ok).toBe(false);
      return r.ok ? '' : r.error.message;
    };
    expect(await refused({ volumeId, fileId: 'not-granted', as: 'human' })).toBe('That file was not chosen in this session; open it again.');
    const far = await refused({ volumeId, fileId: grant(join(TOTALSEG, 'example_seg_dicom.nii.gz')), as: 'human' });
    expect(far).toMatch(/^example_seg_dicom\.nii\.gz: The labels \(512×512×20 voxels .*\) do not overlap the volume \(122×101×30 voxels .*\) anywhere\. They do not label this volume\.$/);
    expect(await refused({ volumeId, fileId: grant(SEG), as: 'overwrite' })).toMatch(/as/);
    expect(Buffer.compare(Buffer.from((await call<LabelState>('labels.get', { volumeId })).labels), Buffer.from(before))).toBe(0);
  });
});
