import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nibabelInfo } from '../../../../test-support/nibabel.js';
import { TOTALSEG } from '../../../../test-support/paths.js';
import { pythonJson } from '../../../../test-support/python.js';
import { pydicomVolume, voxelMd5 } from '../../../../test-support/pydicom.js';
import { readVolume } from '../read-volume.js';
import { describeVolume } from '../volume.js';
import { loadDicomSeries, scanDicomFolder } from './loader.js';
import { errorOf } from '../../../../test-support/errors.js';

const CT_DIR = join(TOTALSEG, 'example_ct_dicom');
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const tmp = mkdtempSync(join(tmpdir(), 'hsam-dicom-'));

function expectGeometry(v: { dims: readonly number[]; spacing: readonly number[]; origin: readonly number[]; direction: readonly number[] }, ref: typeof v): void {
  expect([...v.dims]).toEqual([...ref.dims]);
  v.spacing.forEach((s, i) => expect(Math.abs(s - (ref.spacing[i] as number))).toBeLessThan(1e-3));
  v.origin.forEach((o, i) => expect(Math.abs(o - (ref.origin[i] as number))).toBeLessThan(1e-3));
  v.direction.forEach((d, i) => expect(Math.abs(d - (ref.direction[i] as number))).toBeLessThan(1e-5));
}


describe('the shared CT series (JPEG 2000, anonymised UIDs)', async () => {
  const files = readdirSync(CT_DIR).map((f) => join(CT_DIR, f));
  const progress: string[] = [];
  const scan = await scanDicomFolder(CT_DIR, (p) => progress.push(`${p.phase} ${p.done}/${p.total}`));
  const series = scan.series[0];
  if (!series) throw new Error('no series');
  const volume = await loadDicomSeries(series);
  const ref = pydicomVolume(files);

  it('is listed as one axial CT series of 20 slices, with the missing UID told', () => {
    expect(scan.summary.series).toHaveLength(1);
    expect(scan.summary).toMatchObject({ name: 'example_ct_dicom', fileCount: 20, nonImage: [], unreadable: { count: 0, examples: [] } });
    expect(series.summary).toMatchObject({
      seriesInstanceUID: '',
      modality: 'CT',
      seriesDescription: 'CT Body 3.0',
      sliceCount: 20,
      rows: 512,
      columns: 512,
      plane: 'axial',
      transferSyntaxes: ['JPEG 2000 lossless'],
    });
    expect(series.summary.seriesId).toMatch(/^local-[0-9a-f]{16}$/);
    expect(series.summary.warnings).toEqual([
      'The images have no Series Instance UID (anonymised?); they were grouped by folder, frame of reference and series description.',
    ]);
    expect(progress.at(-1)).toBe('reading-headers 20/20');
  });

  it('has the geometry pydicom computes, to 1e-3 mm', () => {
    expectGeometry(volume, ref);
    expect(volume.spacing[2]).toBeCloseTo(2, 6); // from positions, not SliceThickness (3 mm)
  });

  it('decodes to the voxel values of gdcmconv --raw + pydicom, rescaled to HU as int16', () => {
    expect(volume.voxelType).toBe('int16');
    expect(voxelMd5(volume.voxels)).toBe(ref.md5);
    expect(describeVolume('x', volume)).toMatchObject({ min: ref.min, max: ref.max, modality: 'CT' });
  });

  it('decodes the same voxels again on the kept workers, into the frame buffers main handed back', async () => {
    const again = await loadDicomSeries(series);
    expect(voxelMd5(again.voxels)).toBe(ref.md5);
  });

  it('lies on the same voxel grid as its label map example_seg_dicom.nii.gz', () => {
    // dcm2niix stores rows bottom-up, so the NIfTI's j axis runs the other way: the grids are
    // the same when their corner voxels sit at the same points in the patient, in any order.
    const [seg] = nibabelInfo([join(TOTALSEG, 'example_seg_dicom.nii.gz')]);
    if (!seg) throw new Error('no reference');
    expect([...volume.dims]).toEqual(seg.dims);
    const corners = (g: { dims: readonly number[]; spacing: readonly number[]; origin: readonly number[]; direction: readonly number[] }): number[][] => {
      const out: number[][] = [];
      for (const c of [0, 1, 2, 3, 4, 5, 6, 7]) {
        const ijk = [0, 1, 2].map((a) => ((c >> a) & 1 ? (g.dims[a] as number) - 1 : 0) * (g.spacing[a] as number));
        out.push([0, 1, 2].map((r) => (g.origin[r] as number) + [0, 1, 2].reduce((s, a) => s + (g.direction[r * 3 + a] as number) * (ijk[a] as number), 0)));
      }
      return out.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number) || (a[2] as number) - (b[2] as number));
    };
    const ours = corners(volume);
    corners(seg).forEach((p, n) => p.forEach((x, r) => expect(Math.abs(x - (ours[n]?.[r] as number))).toBeLessThan(1e-3)));
  });

  it('carries the DICOM identity a SEG export needs', () => {
    expect(volume.dicom?.frameOfReferenceUID).toBe('1.3.12.2.1107.5.1.4.60064.30000022120807274275100000041');
    // SOPInstanceUID is blank in the dataset; the file meta's copy is used, in k order.
    expect(volume.dicom?.sopInstanceUIDs).toHaveLength(20);
    expect(volume.dicom?.sopInstanceUIDs[0]).toBe('1.3.12.2.1107.5.1.4.60064.30000022120808113428000016592');
    expect(volume.warnings).toContain('Slice thickness 3 mm differs from the spacing between slices 2 mm (overlapping reconstruction); the spacing is used.');
  });
});

/** One real file per transfer syntax, decoded and compared with gdcmconv --raw + pydicom. */
const SYNTAX_FILES: readonly (readonly [string, string])[] = [
  ['implicit VR little endian', 'MR_small_implicit.dcm'],
  ['explicit VR little endian', 'MR_small.dcm'],
  ['explicit VR little endian (CT)', 'CT_small.dcm'],
  ['explicit VR big endian', 'MR_small_bigendian.dcm'],
  ['deflated explicit VR little endian', 'image_dfl.dcm'],
  ['RLE lossless', 'MR_small_RLE.dcm'],
  ['RLE lossless, 32-bit multi-frame (RTDOSE)', 'rtdose_rle.dcm'],
  ['JPEG extended 12-bit', 'JPGExtended.dcm'],
  ['JPEG-LS lossless', 'MR_small_jpeg_ls_lossless.dcm'],
  ['JPEG 2000 lossless', 'MR_small_jp2klossless.dcm'],
  ['JPEG 2000', 'JPEG2000.dcm'],
];

describe('every transfer syntax on real files', () => {
  SYNTAX_FILES.forEach(([syntax, file]) => {
    it(`${syntax}: ${file}`, async () => {
      const path = join(PYDICOM_FILES, file);
      const ref = pydicomVolume([path]);
      const v = await readVolume(path);
      expectGeometry(v, ref);
      expect(voxelMd5(v.voxels)).toBe(ref.md5);
      // The range the loader measures while writing slices, not a pass over the volume.
      expect(describeVolume('x', v)).toMatchObject({ min: ref.min, max: ref.max });
    });
  });

  it('JPEG baseline (8-bit greyscale, lossy): a real CT slice cut to 8 bits and encoded by gdcmconv; GDCM decodes the reference', async () => {
    const native8 = join(tmp, 'ct8.dcm');
    const baseline = join(tmp, 'ct8_baseline.dcm');
    pythonJson(
      String.raw`
import json, sys
import numpy as np, pydicom
from pydicom.uid import ExplicitVRLittleEndian
a = json.load(sys.stdin)
ds = pydicom.dcmread(a["src"])
px = ds.pixel_array.astype(np.float32)
ds.PixelData = np.clip((px - px.min()) / (px.max() - px.min()) * 255, 0, 255).astype(np.uint8).tobytes()
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
ds.RescaleIntercept, ds.RescaleSlope = 0, 1
ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds.save_as(a["out"])
print("{}")`,
      { src: join(PYDICOM_FILES, 'CT_small.dcm'), out: native8 },
    );
    const { execFileSync } = await import('node:child_process');
    execFileSync('gdcmconv', ['--jpeg', '--lossy', '-q', '90', native8, baseline], { stdio: 'ignore' });
    const ref = pydicomVolume([baseline]);
    expect(ref.transferSyntax).toBe('1.2.840.10008.1.2.4.50');
    const v = await readVolume(baseline);
    expectGeometry(v, ref);
    expect(voxelMd5(v.voxels)).toBe(ref.md5);
  });

  it('JPEG lossless (process 14) and JPEG-LS, re-encoded by gdcmconv from a real MR; pydicom reads the original', async () => {
    const original = join(PYDICOM_FILES, 'MR_small.dcm');
    const ref = pydicomVolume([original]);
    for (const [flag, name] of [
      ['--jpeg', 'lossless.dcm'],
      ['--jpegls', 'jls.dcm'],
    ] as const) {
      const out = join(tmp, name);
      const { execFileSync } = await import('node:child_process');
      execFileSync('gdcmconv', [flag, original, out]);
      const v = await readVolume(out);
      expect(voxelMd5(v.voxels), name).toBe(ref.md5);
    }
  });
});

describe('bad, truncated and non-image files get a message a user can act on', () => {
  it('a truncated native file', async () => {
    expect(await errorOf(readVolume(join(PYDICOM_FILES, 'MR_truncated.dcm')))).toBe(
      'Series 1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457 could not be decoded. MR_truncated.dcm: the pixel data is truncated: 8192 bytes expected, 8130 present.',
    );
  });

  it('a truncated compressed file', async () => {
    const bytes = readFileSync(join(PYDICOM_FILES, 'MR_small_jp2klossless.dcm'));
    const path = join(tmp, 'cut.dcm');
    writeFileSync(path, bytes.subarray(0, bytes.length - 3000));
    expect(await errorOf(readVolume(path))).toBe(
      'Series 1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457 could not be decoded. cut.dcm: the compressed pixel data is truncated (its end marker is missing).',
    );
  });

  it('a file that is not DICOM', async () => {
    const path = join(tmp, 'notes.txt');
    writeFileSync(path, 'x'.repeat(400));
    expect(await errorOf(readVolume(path))).toBe('notes.txt: unsupported file type; open a NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) or DICOM file or folder.');
  });

  it('non-image objects: SR, RTSTRUCT, SEG', async () => {
    expect(await errorOf(readVolume(join(PYDICOM_FILES, 'test-SR.dcm')))).toBe('test-SR.dcm: structured report (SR), not an image volume.');
    expect(await errorOf(readVolume(join(PYDICOM_FILES, 'rtplan.dcm')))).toBe('rtplan.dcm: RT plan (RTPLAN), not an image volume.');
    expect(await errorOf(readVolume(join(PYDICOM_FILES, 'liver_1frame.dcm')))).toBe('liver_1frame.dcm: segmentation (SEG), not an image volume.');
  });

  it('a colour image is listed, not opened', async () => {
    expect(await errorOf(readVolume(join(PYDICOM_FILES, 'SC_rgb_jpeg_gdcm.dcm')))).toBe(
      'SC_rgb_jpeg_gdcm.dcm: colour image (RGB); only greyscale images can be opened as a volume, not an image volume.',
    );
  });

  it('a folder mixing series, non-image objects and junk scans without crashing', async () => {
    const dir = join(tmp, 'mixed');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    for (const f of ['MR_small.dcm', 'CT_small.dcm', 'test-SR.dcm', 'rtstruct.dcm', 'liver_1frame.dcm', 'no_meta.dcm']) {
      copyFileSync(join(PYDICOM_FILES, f), join(dir, 'sub', f));
    }
    writeFileSync(join(dir, 'readme.txt'), 'not dicom');
    const scan = await scanDicomFolder(dir);
    expect(scan.summary.series.map((s) => [s.modality, s.sliceCount])).toEqual(
      expect.arrayContaining([
        ['MR', 1],
        ['CT', 1],
      ]),
    );
    expect(scan.summary.nonImage.map((o) => o.reason).sort()).toEqual(['segmentation (SEG)', 'structured report (SR)']);
    expect(scan.summary.unreadable.examples.map((u) => u.file)).toEqual(['no_meta.dcm', 'readme.txt', 'rtstruct.dcm']);
    expect(await errorOf(readVolume(dir))).toBe('mixed holds 2 DICOM series; choose one of them.');
  });
});

describe('irregular series are detected and explained', async () => {
  const scan = await scanDicomFolder(CT_DIR);
  const series = scan.series[0];
  if (!series) throw new Error('no series');
  const slices = series.slices;
  const label = 'Series "CT Body 3.0"';
  const load = (s: typeof slices): Promise<unknown> => loadDicomSeries({ summary: series.summary, slices: s });

  it('a missing slice', async () => {
    const holed = [...slices].sort((a, b) => (a.geometry.position?.[2] ?? 0) - (b.geometry.position?.[2] ?? 0)).filter((_, k) => k !== 7);
    expect(await errorOf(load(holed))).toBe(
      `${label}: slices are missing. After slice 7 of 19 the next one is 4 mm away where the others are 2 mm apart (1 slice(s) missing). Copy the complete series and open it again.`,
    );
  });

  it('two images at one position', async () => {
    const first = slices[0];
    if (!first) throw new Error('no slice');
    const twin = { ...first, object: { ...first.object, sopInstanceUID: 'another' } };
    expect(await errorOf(load([...slices, twin]))).toMatch(/: 2 different images share the slice position .* cannot be stacked as one\.$/);
  });

  it('duplicate copies of one image are ignored with a warning', async () => {
    const first = slices[0];
    if (!first) throw new Error('no slice');
    const v = (await load([...slices, first])) as { dims: number[]; warnings: string[] };
    expect(v.dims[2]).toBe(20);
    expect(v.warnings).toContain('1 duplicate copies of the same images were ignored.');
  });

  it('gantry tilt (a sheared stack)', async () => {
    const sheared = slices.map((s) => {
      const p = s.geometry.position as [number, number, number];
      return { ...s, geometry: { ...s.geometry, position: [p[0], p[1] + 0.2 * p[2], p[2]] as const } };
    });
    expect(await errorOf(load(sheared))).toMatch(/: the slices are sheared by 11\.31° \(gantry tilt\)\./);
  });

  it('non-uniform spacing', async () => {
    const stretched = slices.map((s) => {
      const p = s.geometry.position as [number, number, number];
      return { ...s, geometry: { ...s.geometry, position: [p[0], p[1], p[2] > -780 ? p[2] + 0.5 : p[2]] as const } };
    });
    expect(await errorOf(load(stretched))).toBe(`${label}: the slice spacing is not uniform (2 mm to 2.5 mm); stacking the slices on one grid would distort the anatomy.`);
  });
});
