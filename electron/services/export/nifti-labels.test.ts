import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { affineCornerDistance, inspectExports, pydicomAffine, rasAffine, referenceLabels, SYNAPSE_SEGMENTS, TOTALSEG_TO_SYNAPSE } from '../../../test-support/label-export.js';
import { nibabelInfo } from '../../../test-support/nibabel.js';
import { TOTALSEG } from '../../../test-support/paths.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Volume } from '../imaging/volume.js';
import { itkSnapLabelPath } from './itksnap-labels.js';
import { qformErrorMm } from '../imaging/nifti-write.js';
import { writeNiftiLabels } from './nifti-labels.js';
import type { LabelExportInput } from './segments.js';
import { errorOf } from '../../../test-support/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'hsam-nifti-labels-'));

interface Case {
  readonly name: string;
  readonly seg: string;
  readonly input: LabelExportInput;
  /** The source geometry as an independent reader sees it (RAS affine). */
  readonly reference: number[][];
  readonly counts: Record<string, number>;
}

async function loadCase(name: string, image: string, seg: string, reference: (v: Volume) => number[][]): Promise<Case> {
  const volume = await readVolume(join(TOTALSEG, image));
  const ref = referenceLabels(join(TOTALSEG, seg), TOTALSEG_TO_SYNAPSE, volume);
  const input = { volume, labels: ref.labels, segments: SYNAPSE_SEGMENTS, description: `H-SAM labels of ${image}` };
  return { name, seg: join(TOTALSEG, seg), input, reference: reference(volume), counts: ref.counts };
}

const cases: Case[] = [];
beforeAll(async () => {
  // (a) the source NIfTI's own affine per nibabel; (b) the DICOM headers per pydicom.
  cases.push(await loadCase('CT NIfTI', 'example_ct_sm.nii.gz', 'example_seg.nii.gz', () => rasAffine(nibabelInfo([join(TOTALSEG, 'example_ct_sm.nii.gz')])[0]!)));
  cases.push(await loadCase('CT DICOM series', 'example_ct_dicom', 'example_seg_dicom.nii.gz', () => pydicomAffine(join(TOTALSEG, 'example_ct_dicom'))));
});


describe('writeNiftiLabels on the shared CT and DICOM series, checked with nibabel', () => {
  for (const n of [0, 1]) {
    it(`${n === 0 ? 'CT NIfTI' : 'CT DICOM series'}: uint8 labels in the source geometry (sform and qform), ITK-SNAP names and colours`, async () => {
      const c = cases[n]!;
      const out = join(dir, `case${n}.nii.gz`);
      const report = await writeNiftiLabels(c.input, out);
      const labelFile = join(dir, `case${n}.label.txt`);
      expect(report.files.map((f) => f.path)).toEqual([out, labelFile]);
      report.files.forEach((f) => expect(readFileSync(f.path).length).toBe(f.bytes));
      expect(report.verified).toMatch(/^8 segments, [\d ]+ voxels equal, geometry equal within 0\.001 mm \(sform and qform\); 9 label descriptions/);

      const { nifti, itksnap } = inspectExports({ seg: c.seg, mapping: TOTALSEG_TO_SYNAPSE, nifti: out, labelFile });
      if (!nifti || !itksnap) throw new Error('no inspection');
      expect(nifti.shape).toEqual([...c.input.volume.dims]);
      expect(nifti.dtype).toBe('uint8');
      expect([nifti.sformCode, nifti.qformCode]).toEqual([1, 1]);
      expect(affineCornerDistance(nifti.sform, c.reference, nifti.shape)).toBeLessThan(1e-3);
      expect(affineCornerDistance(nifti.qform, c.reference, nifti.shape)).toBeLessThan(1e-3);
      // Every voxel equals the TotalSegmentator labels mapped to Synapse, matched by nibabel's affines.
      expect(nifti.mismatches).toBe(0);
      expect(nifti.counts).toEqual(c.counts);
      // The DICOM series' 20 slices hold neither kidney nor the gallbladder; the label file still names them.
      expect(Object.keys(nifti.counts)).toEqual(n === 0 ? ['0', '1', '2', '3', '4', '5', '6', '7', '8'] : ['0', '1', '5', '6', '7', '8']);
      expect(nifti.descrip).toBe(c.input.description);
      expect([nifti.calMin, nifti.calMax]).toEqual([0, 8]);

      expect(itksnap.labels[0]).toEqual({ index: 0, rgb: [0, 0, 0], alpha: 0, visible: 0, mesh: 0, name: 'Clear Label' });
      expect(itksnap.labels.slice(1)).toEqual(SYNAPSE_SEGMENTS.map((s) => ({ index: s.labelValue, rgb: [...s.color], alpha: 1, visible: 1, mesh: 1, name: s.name })));
    });
  }

  it('a sheared (gantry-tilt) grid keeps its exact sform and leaves the qform out, and says so', async () => {
    const c = cases[0]!;
    const volume = { ...c.input.volume, direction: [-1, 0, 0, 0, -1, 0.2, 0, 0, Math.sqrt(0.96)] as const };
    const out = join(dir, 'tilt.nii.gz');
    const report = await writeNiftiLabels({ ...c.input, volume }, out);
    expect(report.verified).toContain('geometry equal within 0.001 mm (sform; no qform, the grid is sheared)');
    const { nifti } = inspectExports({ nifti: out });
    expect([nifti?.sformCode, nifti?.qformCode]).toEqual([1, 0]);
    expect(affineCornerDistance(nifti!.sform, rasAffine(volume), volume.dims)).toBeLessThan(1e-3);
  });

  it('a grid a hair off the axes: exact sform, and the qform as close as a float32 quaternion comes', async () => {
    // Axis-aligned LPS (as DICOM usually is) is a 180° turn in RAS; 0.006° more is where float32 quaternions fail.
    const c = cases[0]!;
    const e = 1e-4;
    const volume = { ...c.input.volume, direction: [Math.cos(e), -Math.sin(e), 0, Math.sin(e), Math.cos(e), 0, 0, 0, 1] as const };
    const limit = qformErrorMm(volume)!;
    expect(limit).toBeGreaterThan(1e-3);
    const out = join(dir, 'oblique.nii.gz');
    const report = await writeNiftiLabels({ ...c.input, volume }, out);
    expect(report.verified).toMatch(/\(sform; qform within 0\.0\d\d mm, as close as its float32 quaternion comes\)/);
    const { nifti } = inspectExports({ nifti: out });
    expect([nifti?.sformCode, nifti?.qformCode]).toEqual([1, 1]);
    expect(affineCornerDistance(nifti!.sform, rasAffine(volume), volume.dims)).toBeLessThan(1e-3);
    expect(affineCornerDistance(nifti!.qform, rasAffine(volume), volume.dims)).toBeLessThan(1e-3 + limit);
  });
});

describe('writeNiftiLabels refuses what it cannot save, and leaves earlier files untouched', () => {
  it('a folder that does not exist', async () => {
    const missing = join(dir, 'no-such-folder', 'labels.nii.gz');
    expect(await errorOf(writeNiftiLabels(cases[0]!.input, missing))).toBe(`Cannot save labels.nii.gz: the folder ${join(dir, 'no-such-folder')} does not exist.`);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });

  it('a target that is a folder', async () => {
    const sub = join(dir, 'in-the-way');
    mkdirSync(join(sub, 'labels.nii.gz'), { recursive: true });
    expect(await errorOf(writeNiftiLabels(cases[0]!.input, join(sub, 'labels.nii.gz')))).toBe(
      `Cannot save labels.nii.gz: there is a folder with that name in ${sub}; choose another name.`,
    );
  });

  it('a label description path blocked by a folder: the earlier NIfTI stays as it was', async () => {
    const out = join(dir, 'earlier.nii.gz');
    await writeNiftiLabels(cases[0]!.input, out);
    const before = readFileSync(out);
    rmSync(itkSnapLabelPath(out));
    mkdirSync(itkSnapLabelPath(out));
    const cleared = { ...cases[0]!.input, labels: new Uint8Array(cases[0]!.input.labels.length) };
    expect(await errorOf(writeNiftiLabels(cleared, out))).toBe(`Cannot save earlier.label.txt: there is a folder with that name in ${dir}; choose another name.`);
    expect(readFileSync(out).equals(before)).toBe(true);
  });

  it('a label value no segment describes: nothing written, the earlier files stay', async () => {
    const out = join(dir, 'kept.nii.gz');
    await writeNiftiLabels(cases[0]!.input, out);
    const before = [readFileSync(out), readFileSync(itkSnapLabelPath(out))];
    const segments = SYNAPSE_SEGMENTS.filter((s) => s.labelValue !== 5);
    const liver = cases[0]!.counts['5']!;
    expect(await errorOf(writeNiftiLabels({ ...cases[0]!.input, segments }, out))).toBe(
      `Label value 5 is in ${String(liver).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')} voxels but no segment describes it (name, colour); nothing was saved.`,
    );
    expect(readFileSync(out).equals(before[0]!)).toBe(true);
    expect(readFileSync(itkSnapLabelPath(out)).equals(before[1]!)).toBe(true);
  });

  it('a label map of another size, and a name that is not NIfTI', async () => {
    const input = { ...cases[0]!.input, labels: new Uint8Array(10) };
    expect(await errorOf(writeNiftiLabels(input, join(dir, 'x.nii.gz')))).toBe(
      'The label map has 10 voxels but example_ct_sm.nii.gz has 369 660 (122×101×30); nothing was saved.',
    );
    expect(await errorOf(writeNiftiLabels(cases[0]!.input, join(dir, 'x.nrrd')))).toBe('Cannot save x.nrrd: a NIfTI label map is named .nii.gz (or .nii).');
  });
});
