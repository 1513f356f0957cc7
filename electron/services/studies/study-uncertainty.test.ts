/**
 * A study keeps the per-voxel uncertainty of its latest runs (the uncertainty overlay): each
 * slice from the latest run that finished it, whichever axis that run sliced along, shown only
 * where that run's labels still are; a run that merged nothing leaves it as it was. On the
 * shared CT's grid.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../../../test-support/paths.js';
import { readVolume } from '../imaging/read-volume.js';
import { LabelSession } from '../labels/label-session.js';
import { Study } from './study.js';

let study: Study;
let dims: readonly [number, number, number];
const model = { name: 'test', version: '1' };

beforeAll(async () => {
  const volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
  dims = volume.dims;
  const { session } = await LabelSession.open({ dir: mkdtempSync(join(tmpdir(), 'hsam-study-u-')), dims: volume.dims, statusAxis: 2 });
  study = new Study('ct', 'ct', volume, session, null);
});
afterAll(async () => {
  await study.uncertaintySaved();
  await study.session.close();
});

/** A proposal with no labels and entropy `e` on every voxel. */
const run = (e: number, sliceAxis: 0 | 1 | 2, completed: number[]) => {
  const n = dims[0] * dims[1] * dims[2];
  return { labels: new Uint8Array(n), entropy: new Uint8Array(n).fill(e), uncertainty: new Float64Array(dims[sliceAxis]).fill(NaN), completed, sliceAxis };
};

describe('the per-voxel uncertainty a study keeps', () => {
  it('starts empty, takes the first run whole, then only the slices each later run finished', async () => {
    expect(study.entropy).toBeNull();
    await study.applyModelRun(run(10, 2, Array.from({ length: dims[2] }, (_, k) => k)), model);
    expect(new Set(study.entropy)).toEqual(new Set([10]));

    // A cancelled axial run that finished slices 3 and 4.
    await study.applyModelRun(run(200, 2, [3, 4]), model);
    // A sagittal run cancelled after i = 7: it merged no slice, so its figures describe no labels.
    await study.applyModelRun(run(90, 0, [7]), model);
    // A run with no entropy over slices 0-2: their labels are its own now, so run 1's figures hide there.
    const { entropy: _none, ...noEntropy } = run(255, 2, [0, 1, 2]);
    await study.applyModelRun(noEntropy, model);

    const [nx, ny] = dims;
    const e = study.entropy!;
    let checked = 0;
    for (let k = 0; k < dims[2]; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const want = k <= 2 ? 0 : k === 3 || k === 4 ? 200 : 10;
          if (e[i + nx * (j + ny * k)] !== want) throw new Error(`voxel ${i},${j},${k}: ${e[i + nx * (j + ny * k)]}, want ${want}`);
          checked++;
        }
    expect(checked).toBe(e.length);
  });
});

describe('a run along another axis than the status axis', () => {
  it('merges only when it finished every slice, and its entropy shows only where the labels are its own', async () => {
    const volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    const { session } = await LabelSession.open({ dir: mkdtempSync(join(tmpdir(), 'hsam-study-axis-')), dims: volume.dims, statusAxis: 2 });
    const s = new Study('ct', 'ct', volume, session, null);
    const [nx, , nz] = volume.dims;
    const n = volume.voxels.length;
    const a = { name: 'axial', version: '1' };
    const b = { name: 'sagittal', version: '1' };
    const labelled = (c: number) => Uint8Array.from(volume.voxels, (x) => (Number(x) > 100 ? c : 0));
    const proposal = (c: number, e: number, sliceAxis: 0 | 2, completed: number[]) => ({
      labels: labelled(c),
      entropy: new Uint8Array(n).fill(e),
      uncertainty: new Float64Array(volume.dims[sliceAxis]).fill(0.5),
      completed,
      sliceAxis,
    });
    const every = (k: number) => Array.from({ length: k }, (_, i) => i);

    await s.applyModelRun(proposal(1, 10, 2, every(nz)), a);
    expect(new Set(session.sliceModel)).toEqual(new Set([1]));

    // Cancelled after one sagittal slice: each axial slice would be only partly its; nothing merges.
    const partial = await s.applyModelRun(proposal(2, 90, 0, [7]), b);
    expect(partial.indices.length).toBe(0);
    expect(new Set(session.sliceModel)).toEqual(new Set([1]));
    // Its figures describe no labels: not kept; model a's still describe a's labels and show.
    expect(new Set(s.entropy)).toEqual(new Set([10]));

    const whole = await s.applyModelRun(proposal(2, 90, 0, every(nx)), b);
    expect(whole.indices.length).toBeGreaterThan(0);
    expect(new Set(session.sliceModel)).toEqual(new Set([2]));
    expect(new Set(s.entropy)).toEqual(new Set([90]));

    await s.undo(false);
    expect(new Set(s.entropy)).toEqual(new Set([0]));
    await s.undo(true);
    expect(new Set(s.entropy)).toEqual(new Set([90]));
    await s.uncertaintySaved();
    await session.close();
  });
});
