import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../../../test-support/paths.js';
import { writeReorientedNifti } from '../../../test-support/reoriented-nifti.js';
import { readVolume } from '../imaging/read-volume.js';
import { LabelGridError, reorientLabels } from './reorient-labels.js';

const dir = mkdtempSync(join(tmpdir(), 'hsam-reorient-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reorientLabels', () => {
  it('gives the same voxels for every axis permutation and flip written by nibabel', async () => {
    const volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    const original = await readVolume(join(TOTALSEG, 'example_seg.nii.gz'));
    const files = writeReorientedNifti(join(TOTALSEG, 'example_seg.nii.gz'), dir);
    expect(files).toHaveLength(48);
    const want = Uint8Array.from(original.voxels);
    expect(want.some((v) => v > 0)).toBe(true);
    let reoriented = 0;
    for (const f of files) {
      const labels = await readVolume(f);
      const r = reorientLabels(volume, labels, labels.voxels);
      expect(Buffer.compare(Buffer.from(r.voxels), Buffer.from(want)), f).toBe(0);
      if (r.reoriented) reoriented++;
    }
    // Only the unchanged order (p012_f000) needs nothing.
    expect(reoriented).toBe(47);
  });

  it('refuses labels off the lattice (half a voxel shifted), with the figures', async () => {
    const volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    const labels = await readVolume(join(TOTALSEG, 'example_seg.nii.gz'));
    const shifted = { ...labels, origin: [labels.origin[0] + labels.spacing[0] / 2, labels.origin[1], labels.origin[2]] as const };
    expect(() => reorientLabels(volume, shifted, labels.voxels)).toThrow(LabelGridError);
    expect(() => reorientLabels(volume, shifted, labels.voxels)).toThrow(/122×101×30 voxels of 3\.000×3\.000×3\.000 mm/);
  });
});
