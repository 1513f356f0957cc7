/**
 * Training-slice export on the shared CT: slices as the demo model sees them (checked against
 * nibabel's canonical `vol[:, :, z].T`, the orientation the demo card states), labels and
 * provenance in the manifest, accumulation without duplicates, the held-out split, and refusals.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelCard } from '../../../common/contract/model-card.js';
import { TrainingSetManifest } from '../../../common/contract/training-set.js';
import { REPO_ROOT, TOTALSEG } from '../../../test-support/paths.js';
import { pythonJson } from '../../../test-support/python.js';
import { toModelClasses } from '../../../test-support/synapse.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Volume } from '../imaging/volume.js';
import { Source } from '../labels/label-diff.js';
import { SliceStatus } from '../labels/step.js';
import { exportTrainingSlices, type LabelledStudy } from './training-set.js';

const card = ModelCard.parse(JSON.parse(readFileSync(join(REPO_ROOT, 'native-models', 'models', 'demo', 'model.json'), 'utf8')));
const CT = join(TOTALSEG, 'example_ct_sm.nii.gz');
const SEG = join(TOTALSEG, 'example_seg.nii.gz');

let ct: Volume;
let reference: Uint8Array;

function study(volume: Volume, labels: Uint8Array, studyId: string, marked: Record<number, number>): LabelledStudy & { source: Uint8Array } {
  const nz = volume.dims[2];
  const sliceStatus = new Uint8Array(nz).fill(SliceStatus.auto);
  for (const [z, s] of Object.entries(marked)) sliceStatus[Number(z)] = s;
  const source = new Uint8Array(labels.length).fill(Source.auto);
  const origin = new Uint8Array(labels.length);
  return { volume, studyId, studyName: volume.name, labels, source, origin, sliceStatus, statusAxis: 2, modelOfSlice: () => ({ name: 'hsam-tiny-demo', version: '0.1.0' }) };
}

/** What Python reads from the set: the .npz arrays of one slice and the lists. */
function pythonView(setDir: string, file: string, z: number) {
  return pythonJson<{ shape: number[]; dtypes: string[]; imageMaxDiff: number; labelsEqual: boolean; train: string[]; val: string[] }>(
    `
import json, sys, os
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
with np.load(os.path.join(a["set"], a["file"])) as f:
    image, label = f["image"], f["label"]
ct = nib.as_closest_canonical(nib.load(a["ct"]))
seg = nib.as_closest_canonical(nib.load(a["seg"]))
assert ct.affine[2, 2] > 0  # k already runs toward S: slice z is the same in both frames
hu = np.asarray(ct.dataobj)[:, :, a["z"]].T.astype(np.float32)
want = (np.clip(hu, -125, 275) + 125) / 400
total = np.asarray(seg.dataobj)[:, :, a["z"]].T
m = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 52: 7, 7: 8}
want_label = np.zeros(total.shape, np.uint8)
for s, d in m.items(): want_label[total == s] = d
read = lambda n: [l.strip() for l in open(os.path.join(a["set"], n)) if l.strip()]
print(json.dumps({"shape": list(image.shape), "dtypes": [str(image.dtype), str(label.dtype)],
  "imageMaxDiff": float(np.abs(image - want).max()), "labelsEqual": bool((label == want_label).all()),
  "train": read("train.txt"), "val": read("val.txt")}))
`,
    { set: setDir, file, z, ct: CT, seg: SEG },
  );
}

beforeAll(async () => {
  ct = await readVolume(CT);
  reference = toModelClasses((await readVolume(SEG)).voxels);
});

describe('training-slice export', () => {
  it('writes corrected and reviewed slices as the model sees them, with provenance', async () => {
    const setDir = mkdtempSync(join(tmpdir(), 'hsam-set-'));
    const s = study(ct, reference, 'study-a', { 3: SliceStatus.corrected, 10: SliceStatus.reviewed, 17: SliceStatus.corrected });
    // A human turned a proposed stomach voxel into liver on slice 10, erased a spleen voxel on
    // slice 3, and repainted a voxel on slice 17 with the class it had.
    const perSlice = 122 * 101;
    const liver = reference.findIndex((v, i) => v === 5 && Math.floor(i / perSlice) === 10);
    s.source[liver] = Source.human;
    s.origin[liver] = 6;
    s.source[3 * perSlice + 7] = Source.human;
    s.origin[3 * perSlice + 7] = 1;
    s.source[17 * perSlice + 7] = Source.human;
    s.origin[17 * perSlice + 7] = reference[17 * perSlice + 7]!;
    const report = await exportTrainingSlices(setDir, card, s);
    expect(report).toMatchObject({ slices: [3, 10, 17], added: 3, replaced: 0, total: 3, heldOut: 1 });

    const manifest = TrainingSetManifest.parse(JSON.parse(readFileSync(join(setDir, 'manifest.json'), 'utf8')));
    expect(manifest.classes.map((c) => c.name)).toEqual(card.classes.map((c) => c.name));
    expect(manifest.modality).toBe('CT');
    expect(manifest.slices.map((r) => [r.sliceIndex, r.status, r.correctedClasses])).toEqual([
      [3, 'corrected', [0, 1]],
      [10, 'reviewed', [5, 6]],
      [17, 'corrected', []],
    ]);
    expect(manifest.slices[0]!.proposedBy).toEqual({ name: 'hsam-tiny-demo', version: '0.1.0' });

    const row = manifest.slices[1]!;
    const py = pythonView(setDir, row.file, 10);
    // Slices keep the volume's in-plane size (the trainer resizes); rows run along j here.
    expect(py.shape).toEqual([101, 122]);
    expect(py.dtypes).toEqual(['float32', 'uint8']);
    expect(py.imageMaxDiff).toBeLessThan(1e-6);
    expect(py.labelsEqual).toBe(true);
    expect(py.val).toEqual([manifest.slices[2]!.file]);
    expect(py.train).toEqual([manifest.slices[0]!.file, manifest.slices[1]!.file]);
  });

  it('accumulates studies into one set without duplicates; a slice keeps its split', async () => {
    const setDir = mkdtempSync(join(tmpdir(), 'hsam-set-'));
    await exportTrainingSlices(setDir, card, study(ct, reference, 'study-a', { 1: 2, 2: 2, 3: 2 }));
    const before = TrainingSetManifest.parse(JSON.parse(readFileSync(join(setDir, 'manifest.json'), 'utf8')));
    const again = await exportTrainingSlices(setDir, card, study(ct, reference, 'study-a', { 2: 3, 3: 2, 4: 2 }));
    expect(again).toMatchObject({ added: 1, replaced: 2, total: 4, heldOut: 1 });
    const other = await exportTrainingSlices(setDir, card, study(ct, reference, 'study-b', { 5: 2, 6: 2 }));
    expect(other).toMatchObject({ added: 2, replaced: 0, total: 6, setId: before.id });
    const m = TrainingSetManifest.parse(JSON.parse(readFileSync(join(setDir, 'manifest.json'), 'utf8')));
    expect(m.slices.map((r) => `${r.study}:${r.sliceIndex}`)).toEqual(['study-a:1', 'study-a:2', 'study-a:3', 'study-a:4', 'study-b:5', 'study-b:6']);
    expect(m.slices[1]!.status).toBe('reviewed');
    const py = pythonView(setDir, m.slices[0]!.file, 1);
    expect(py.val).toEqual([m.slices[2]!.file]);
    expect(py.train.length + py.val.length).toBe(6);
  });

  it('refuses a set for other classes, and a study with nothing marked', async () => {
    const setDir = mkdtempSync(join(tmpdir(), 'hsam-set-'));
    await expect(exportTrainingSlices(setDir, card, study(ct, reference, 'a', {}))).rejects.toThrow(
      'No slice is marked corrected or reviewed yet: correct a slice or mark it reviewed, then export.',
    );
    await exportTrainingSlices(setDir, card, study(ct, reference, 'a', { 1: 2 }));
    const other = ModelCard.parse({ ...card, classes: card.classes.slice(0, 3), outputs: { ...card.outputs, logits: { ...card.outputs.logits, shape: ['batch', 3, 224, 224] } } });
    await expect(exportTrainingSlices(setDir, other, study(ct, reference, 'a', { 1: 2 }))).rejects.toThrow(/is for the classes background, spleen, kidney_right, .*; model hsam-tiny-demo has background, spleen, kidney_right\./);
  });
});
