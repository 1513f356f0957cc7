import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { affineCornerDistance, inspectExports, pydicomAffine, rasAffine, referenceLabels, SYNAPSE_SEGMENTS, TOTALSEG_TO_SYNAPSE } from '../../../test-support/label-export.js';
import { nibabelInfo } from '../../../test-support/nibabel.js';
import { TOTALSEG } from '../../../test-support/paths.js';
import { readNrrdWithFields } from '../imaging/nrrd.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Volume } from '../imaging/volume.js';
import { cornerDistanceMm } from './nifti-labels.js';
import { ANATOMIC_CONTEXT, parseTerminologyEntry, readSlicerSegments, TERMINOLOGY_CONTEXT, writeSegNrrd } from './seg-nrrd.js';
import type { ExportSegment, LabelExportInput } from './segments.js';
import { errorOf } from '../../../test-support/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'hsam-seg-nrrd-'));

/** A name that needs NRRD's escapes and UTF-8, and a segment no voxel has (Slicer keeps it, empty). */
const SEGMENTS: readonly ExportSegment[] = [
  ...SYNAPSE_SEGMENTS.map((s) => (s.labelValue === 8 ? { ...s, name: 'pancreas "Bauchspeicheldrüse" \\ head' } : s)),
  { ...SYNAPSE_SEGMENTS[0]!, labelValue: 9, name: 'portal vein', color: [0, 151, 206], type: { scheme: 'SCT', value: '32764006', meaning: 'Portal vein' } },
];

interface Case {
  readonly seg: string;
  readonly input: LabelExportInput;
  readonly reference: number[][];
}

async function loadCase(image: string, seg: string, reference: (v: Volume) => number[][]): Promise<Case> {
  const volume = await readVolume(join(TOTALSEG, image));
  const { labels } = referenceLabels(join(TOTALSEG, seg), TOTALSEG_TO_SYNAPSE, volume);
  return { seg: join(TOTALSEG, seg), input: { volume, labels, segments: SEGMENTS, description: `H-SAM labels of ${image}` }, reference: reference(volume) };
}

const cases: Case[] = [];
beforeAll(async () => {
  cases.push(await loadCase('example_ct_sm.nii.gz', 'example_seg.nii.gz', () => rasAffine(nibabelInfo([join(TOTALSEG, 'example_ct_sm.nii.gz')])[0]!)));
  cases.push(await loadCase('example_ct_dicom', 'example_seg_dicom.nii.gz', () => pydicomAffine(join(TOTALSEG, 'example_ct_dicom'))));
});


describe('writeSegNrrd on the shared CT and DICOM series', () => {
  for (const n of [0, 1]) {
    it(`${n === 0 ? 'CT NIfTI' : 'CT DICOM series'}: one uint8 gzip layer in the source geometry with Slicer's segment fields`, async () => {
      const c = cases[n]!;
      const out = join(dir, `case${n}.seg.nrrd`);
      const report = await writeSegNrrd(c.input, out);
      expect(report.files).toEqual([{ path: out, bytes: readFileSync(out).length }]);
      expect(report.verified).toMatch(/^9 segments \((8|5) with voxels\), [\d ]+ voxels equal, geometry equal; names, colours/);

      // Our reader: every voxel and the geometry.
      const { volume, keyValues } = await readNrrdWithFields(out);
      expect(volume.voxelType).toBe('uint8');
      expect(Buffer.from(volume.voxels.buffer).equals(Buffer.from(c.input.labels))).toBe(true);
      expect(cornerDistanceMm(volume, c.input.volume)).toBeLessThan(1e-6);
      expect(readSlicerSegments(keyValues).map((s) => s.name)).toEqual(SEGMENTS.map((s) => s.name));

      // numpy + gzip, knowing nothing of our code: voxels against TotalSegmentator's via the affines.
      const { segNrrd: py } = inspectExports({ seg: c.seg, mapping: TOTALSEG_TO_SYNAPSE, segNrrd: out });
      if (!py) throw new Error('no inspection');
      expect(py.dtype).toBe('uint8');
      expect(py.sizes).toEqual([...c.input.volume.dims]);
      expect(py.mismatches).toBe(0);
      expect(py.fields).toMatchObject({ type: 'unsigned char', dimension: '3', space: 'left-posterior-superior', kinds: 'domain domain domain', encoding: 'gzip' });
      expect(affineCornerDistance(py.affine, c.reference, py.sizes)).toBeLessThan(1e-3);
      py.directions.forEach((col, k) => col.forEach((x, r) => expect(x).toBeCloseTo(c.input.volume.direction[r * 3 + k]! * c.input.volume.spacing[k as 0 | 1 | 2], 9)));
      py.origin.forEach((x, r) => expect(x).toBeCloseTo(c.input.volume.origin[r as 0 | 1 | 2], 9));

      const kv = py.keyValues;
      expect(kv['Segmentation_MasterRepresentation']).toBe('Binary labelmap');
      expect(kv['Segmentation_ContainedRepresentationNames']).toBe('Binary labelmap|');
      expect(kv['Segmentation_ReferenceImageExtentOffset']).toBe('0 0 0');
      // Slicer's reference image geometry is the ijk→RAS matrix (16 numbers) and the extent.
      const geometry = /Reference image geometry\|([^|]*)\|/.exec(kv['Segmentation_ConversionParameters'] ?? '')?.[1]?.split(';').slice(0, 22).map(Number);
      expect(geometry?.slice(16)).toEqual([0, py.sizes[0]! - 1, 0, py.sizes[1]! - 1, 0, py.sizes[2]! - 1]);
      const matrix = [0, 1, 2, 3].map((r) => geometry!.slice(r * 4, r * 4 + 4));
      expect(affineCornerDistance(matrix, c.reference, py.sizes)).toBeLessThan(1e-3);

      SEGMENTS.forEach((s, i) => {
        const f = (k: string): string | undefined => kv[`Segment${i}_${k}`];
        expect(f('ID')).toBe(`Segment_${s.labelValue}`);
        expect(f('Name')).toBe(s.name);
        expect([f('NameAutoGenerated'), f('ColorAutoGenerated'), f('Layer'), f('LabelValue')]).toEqual(['0', '0', '0', String(s.labelValue)]);
        const color = f('Color')!.split(' ').map(Number);
        color.forEach((x, k) => expect(x).toBeCloseTo(s.color[k]! / 255, 5));
        expect(color.map((x) => Math.round(x * 255))).toEqual([...s.color]);
        // Extents: numpy's bounding box of the label; Slicer's empty extent for an absent one.
        expect(f('Extent')).toBe((py.boxes[String(s.labelValue)] ?? [0, -1, 0, -1, 0, -1]).join(' '));
        const tags = f('Tags')!;
        expect(tags.endsWith('|')).toBe(true);
        const entry = /TerminologyEntry:([^|]*)\|/.exec(tags)?.[1] ?? '';
        const modifier = s.typeModifier ? `SCT^${s.typeModifier.value}^${s.typeModifier.meaning}` : '^^';
        expect(entry).toBe(`${TERMINOLOGY_CONTEXT}~SCT^123037004^Anatomical Structure~SCT^${s.type.value}^${s.type.meaning}~${modifier}~${ANATOMIC_CONTEXT}~^^~^^`);
        expect(parseTerminologyEntry(entry)).toEqual({ context: TERMINOLOGY_CONTEXT, category: s.category, type: s.type, ...(s.typeModifier ? { typeModifier: s.typeModifier } : {}) });
        expect(tags).toContain(`HSAM.AlgorithmType:${s.algorithmType}|`);
      });
      // The DICOM series' 20 slices hold neither kidney nor the gallbladder: empty segments, kept.
      expect(Object.keys(py.boxes)).toEqual(n === 0 ? ['1', '2', '3', '4', '5', '6', '7', '8'] : ['1', '5', '6', '7', '8']);
    });
  }
});

describe('writeSegNrrd refuses what it cannot save, and leaves earlier files untouched', () => {
  it('a folder that does not exist, and a target that is a folder', async () => {
    const missing = join(dir, 'no-such-folder', 'labels.seg.nrrd');
    expect(await errorOf(writeSegNrrd(cases[0]!.input, missing))).toBe(`Cannot save labels.seg.nrrd: the folder ${join(dir, 'no-such-folder')} does not exist.`);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
    mkdirSync(join(dir, 'folder.seg.nrrd'));
    expect(await errorOf(writeSegNrrd(cases[0]!.input, join(dir, 'folder.seg.nrrd')))).toBe(
      `Cannot save folder.seg.nrrd: there is a folder with that name in ${dir}; choose another name.`,
    );
  });

  it('a write that fails on disk (a name too long for its temporary file): the earlier file stays', async () => {
    const out = join(dir, `${'a'.repeat(231)}.seg.nrrd`);
    writeFileSync(out, 'earlier export');
    expect(await errorOf(writeSegNrrd(cases[0]!.input, out))).toMatch(/^Could not save a+\.seg\.nrrd: .*name.* too long.*The previous version is unchanged\.$/);
    expect(readFileSync(out, 'utf8')).toBe('earlier export');
  });

  it('a label value no segment describes, and a name that is not NRRD', async () => {
    const out = join(dir, 'kept.seg.nrrd');
    await writeSegNrrd(cases[0]!.input, out);
    const before = readFileSync(out);
    const labels = Uint8Array.from(cases[0]!.input.labels);
    labels[0] = 200;
    expect(await errorOf(writeSegNrrd({ ...cases[0]!.input, labels }, out))).toBe('Label value 200 is in 1 voxels but no segment describes it (name, colour); nothing was saved.');
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(await errorOf(writeSegNrrd(cases[0]!.input, join(dir, 'x.nii.gz')))).toBe('Cannot save x.nii.gz: a 3D Slicer segmentation is named .seg.nrrd.');
  });
});
