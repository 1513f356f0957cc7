/**
 * importLabelFile on files other tools wrote: pydicom-built DICOM SEGs (BINARY, FRACTIONAL,
 * LABELMAP) of the shared DICOM series, a two-layer 3D Slicer .seg.nrrd written by a numpy
 * writer, nibabel-written NIfTI in all 48 axis orders, TotalSegmentator-style labels on Debian
 * dcm2niix's conversion of the series; and round trips of our own exports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcm2niix } from '../../../test-support/dcm2niix.js';
import { REPO_ROOT, TOTALSEG } from '../../../test-support/paths.js';
import { writePydicomSeg, type PydicomSeg } from '../../../test-support/pydicom-seg.js';
import { PYTHON } from '../../../test-support/python.js';
import { writeReorientedNifti } from '../../../test-support/reoriented-nifti.js';
import { writeLayeredSegNrrd } from '../../../test-support/slicer-seg-nrrd.js';
import { execFileSync } from 'node:child_process';
import { exportLabels, readLabelSchemas } from '../export/label-export.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Volume } from '../imaging/volume.js';
import { importLabelFile } from './import-labels.js';

const SERIES = join(TOTALSEG, 'example_ct_dicom');
const CT_LABELS = join(TOTALSEG, 'example_seg_dicom.nii.gz');
const CLASSES = join(TOTALSEG, 'totalsegmentator_classes.json');
const dir = mkdtempSync(join(tmpdir(), 'hsam-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const differing = (a: Uint8Array, b: Uint8Array): number => {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
};

let series: Volume;
beforeAll(async () => {
  series = await readVolume(SERIES);
}, 60_000);

describe('DICOM SEG written by pydicom onto the shared series', () => {
  const SEGMENTS: [number, string][] = [
    [5, 'Liver'],
    [1, 'spleen'],
    [2, 'Right kidney'],
    [52, 'Aorta'],
  ];
  const fixtures = new Map<string, PydicomSeg>();
  beforeAll(() => {
    for (const type of ['BINARY', 'FRACTIONAL', 'LABELMAP'] as const) {
      fixtures.set(type, writePydicomSeg({ series: SERIES, labels: CT_LABELS, out: join(dir, `${type}.dcm`), type, segments: SEGMENTS }));
    }
  }, 120_000);

  for (const type of ['BINARY', 'FRACTIONAL', 'LABELMAP'] as const) {
    it(`${type}: every voxel where pydicom put it, the later segment on shared voxels, with a warning counting them`, async () => {
      const f = fixtures.get(type)!;
      // The fixture's slice order (pydicom, sorted along the normal) is the volume's k order.
      expect(series.dicom!.sopInstanceUIDs).toEqual(f.uids);
      expect(f.shared).toBeGreaterThan(1000);
      const r = await importLabelFile(join(dir, `${type}.dcm`), series);
      expect(r.format).toBe('dicom-seg');
      expect(r.classes.map((c) => [c.value, c.name])).toEqual([[1, 'Liver'], [2, 'spleen'], [3, 'Right kidney'], [4, 'Aorta'], [5, 'Region']]);
      expect(differing(r.labels, f.flat)).toBe(0);
      // LABELMAP pixels hold one segment each, so its overlaps were resolved by its writer.
      expect(r.warnings).toEqual(type === 'LABELMAP' ? [] : [`${f.shared} voxels lie in more than one segment of ${type}.dcm; each was given the later segment.`]);
    });
  }

  it('a SEG on a coarser grid (half the rows and columns, off the lattice) is resampled by nearest label, saying so', async () => {
    const path = join(dir, 'half.dcm');
    const f = writePydicomSeg({ series: SERIES, labels: CT_LABELS, out: path, type: 'BINARY', segments: SEGMENTS, half: true });
    const r = await importLabelFile(path, series);
    expect(differing(r.labels, f.flat)).toBe(0);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^The labels are on another grid \(256×256×20 voxels of 1\.953×1\.953×2\.000 mm from .*\) than the volume \(512×512×20 voxels of 0\.977×0\.977×2\.000 mm .*\); they were resampled onto the volume by nearest label\.$/),
      `${f.shared} voxels lie in more than one segment of half.dcm; each was given the later segment.`,
    ]);
  }, 60_000);

  it('places a SEG by position on a volume without DICOM identity, saying so, and refuses one that does not overlap', async () => {
    const nifti = await readVolume(dcm2niix(SERIES, mkdtempSync(join(dir, 'd2n-'))));
    const { dicom: _none, ...plain } = series;
    const r = await importLabelFile(join(dir, 'BINARY.dcm'), plain);
    expect(differing(r.labels, fixtures.get('BINARY')!.flat)).toBe(0);
    expect(r.warnings[0]).toBe("BINARY.dcm was placed by its frames' positions alone: the volume was not read from DICOM, so its frame of reference could not be checked.");
    expect(nifti.dims).toEqual([512, 512, 20]);
    const far = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    await expect(importLabelFile(join(dir, 'BINARY.dcm'), far)).rejects.toThrow(/^BINARY\.dcm: The labels \(512×512×20 voxels of 0\.977×0\.977×2\.000 mm from .*\) do not overlap the volume \(122×101×30 voxels .*\) anywhere\. It does not label this volume\.$/);
  });
});

describe('3D Slicer .seg.nrrd with two layers', () => {
  it('flattens the overlapping segments (later wins), names them and counts the shared voxels', async () => {
    const path = join(dir, 'layers.seg.nrrd');
    const f = writeLayeredSegNrrd(join(TOTALSEG, 'example_seg.nii.gz'), path);
    const volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    const r = await importLabelFile(path, volume);
    expect(r.format).toBe('seg-nrrd');
    expect(r.classes.map((c) => c.name)).toEqual(f.names);
    expect(r.classes[0]!.color).toEqual([219, 130, 102]);
    expect(same(r.labels, Uint8Array.from(f.flat))).toBe(true);
    expect(f.shared).toBeGreaterThan(0);
    expect(r.warnings).toEqual([`${f.shared} voxels lie in more than one segment of layers.seg.nrrd; each was given the later segment.`]);
  });
});

describe('NIfTI label maps', () => {
  it('every orientation nibabel writes gives the same voxels, named by the class table', async () => {
    const volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    const want = Uint8Array.from((await readVolume(join(TOTALSEG, 'example_seg.nii.gz'))).voxels);
    const files = writeReorientedNifti(join(TOTALSEG, 'example_seg.nii.gz'), mkdtempSync(join(dir, 'orient-')));
    expect(files).toHaveLength(48);
    for (const f of files) {
      const r = await importLabelFile(f, volume, { classes: `${CLASSES}#total` });
      expect(same(r.labels, want), f).toBe(true);
      expect(r.classes).toHaveLength(41);
    }
    const r = await importLabelFile(files[0]!, volume, { classes: `${CLASSES}#total` });
    expect(r.classes.find((c) => c.value === 5)).toEqual({ value: 5, name: 'liver' });
  });

  it('labels on dcm2niix’s conversion of the series land where pydicom places the same NIfTI voxels', async () => {
    const converted = dcm2niix(SERIES, mkdtempSync(join(dir, 'd2n-')));
    // TotalSegmentator's output keeps its input's header: its labels on dcm2niix's grid, written by nibabel.
    const labels = join(dir, 'on-dcm2niix.nii.gz');
    execFileSync(PYTHON, ['-c', 'import sys, numpy as np, nibabel as nib\nc = nib.load(sys.argv[1]); l = nib.load(sys.argv[2])\nassert np.allclose(c.affine, l.affine) and c.shape[:3] == l.shape\nnib.save(nib.Nifti1Image(np.asarray(l.dataobj).astype(np.uint8), c.affine), sys.argv[3])', converted, CT_LABELS, labels]);
    const r = await importLabelFile(labels, series, { classes: CLASSES });
    const f = writePydicomSeg({ series: SERIES, labels, out: join(dir, 'ref.dcm'), type: 'BINARY', segments: [[5, 'liver']] });
    expect(differing(r.labels, f.values)).toBe(0);
    expect(r.warnings).toContain("The labels were stored in another voxel order (axes permuted or flipped) than the volume; they were put back in the volume's order.");
    expect(r.classes).toHaveLength(31);
  }, 60_000);

  it('a map without a class table gets "Label N" names and a warning; a float map with fractions is refused', async () => {
    const volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    const r = await importLabelFile(join(TOTALSEG, 'example_seg.nii.gz'), volume);
    expect(r.classes[0]).toEqual({ value: 1, name: 'Label 1' });
    expect(r.warnings).toEqual(['example_seg.nii.gz carries no class names; its values are named "Label N" (give a class table to name them).']);
    await expect(importLabelFile(join(TOTALSEG, 'example_ct_sm.nii.gz'), volume)).rejects.toThrow(/^example_ct_sm\.nii\.gz holds the value -?\d+, so it is not a label map: label maps hold whole numbers from 0 to 255\.$/);
  });
});

describe('round trips of our own exports', () => {
  it('NIfTI, .seg.nrrd and DICOM SEG read back to the same voxels and names', async () => {
    const r0 = await importLabelFile(CT_LABELS, series, { classes: CLASSES });
    const schema = await readLabelSchemas(join(REPO_ROOT, 'resources', 'label-schemas'));
    const classes = [{ index: 0, name: 'background', color: [0, 0, 0] as const }, ...r0.classes.map((c) => ({ index: c.value, name: c.name, color: [200, 100, 50] as const }))];
    const types = new Map(r0.classes.map((c) => [c.value, 'MANUAL' as const]));
    for (const [format, file] of [['nifti', 'rt-labels.nii.gz'], ['seg-nrrd', 'rt.seg.nrrd'], ['dicom-seg', 'rt.seg.dcm']] as const) {
      const out = join(dir, file);
      await exportLabels({ format, path: out, volume: series, labels: r0.labels, classes, schema, types });
      const back = await importLabelFile(out, series, format === 'nifti' ? { classes: join(dir, 'rt-labels.label.txt') } : {});
      const names = new Map(back.classes.map((c) => [c.value, c.name]));
      // NIfTI keeps the values; segments (.seg.nrrd, SEG) come back numbered 1..n in value order.
      const order = [...new Set(r0.classes.map((c) => c.value))].sort((a, b) => a - b);
      const remap = format === 'nifti' ? new Map(order.map((v) => [v, v])) : new Map(order.map((v, n) => [v, n + 1]));
      const want = r0.labels.map((v) => (v === 0 ? 0 : remap.get(v)!));
      expect(differing(back.labels, want), format).toBe(0);
      expect(names.get(remap.get(5)!), format).toBe('Liver');
    }
  }, 120_000);
});
