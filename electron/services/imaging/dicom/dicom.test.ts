import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nibabelInfo } from '../../../../test-support/nibabel.js';
import { TOTALSEG } from '../../../../test-support/paths.js';
import { pythonJson } from '../../../../test-support/python.js';
import { pydicomVolume, voxelMd5 } from '../../../../test-support/pydicom.js';
import { readVolume } from '../read-volume.js';
import { describeVolume, type Volume } from '../volume.js';
import { parseDicom } from './dataset.js';
import { loadDicomSeries, scanDicomFiles, scanDicomFolder } from './loader.js';
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


/**
 * Slice k of a volume area-averaged to w×h and windowed to 0–255: what a thumbnail of it should
 * show, computed from the decoded volume (itself checked against pydicom).
 */
function expectedThumbnail(v: Volume, k: number, w: number, h: number, win: { center: number; width: number }): number[] {
  const [nx, ny] = v.dims;
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      let n = 0;
      for (let j = Math.floor((y * ny) / h); j < Math.floor(((y + 1) * ny) / h); j++) {
        for (let i = Math.floor((x * nx) / w); i < Math.floor(((x + 1) * nx) / w); i++, n++) sum += v.voxels[(k * ny + j) * nx + i] as number;
      }
      out.push(Math.min(255, Math.max(0, Math.round(((sum / n - (win.center - win.width / 2)) / win.width) * 255))));
    }
  }
  return out;
}

function correlation(a: readonly number[], b: ArrayLike<number>): number {
  const mean = (x: ArrayLike<number>): number => Array.from(x).reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(a), mean(b)];
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    const y = (b[i] as number) - mb;
    ab += (x - ma) * y;
    aa += (x - ma) ** 2;
    bb += y * y;
  });
  return ab / Math.sqrt(aa * bb);
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

  it('has a 64×64 thumbnail of its middle slice in the series list, in the file\'s window (W 300 L 40)', () => {
    const t = scan.summary.series[0]?.thumbnail;
    if (!t) throw new Error('no thumbnail');
    expect([t.width, t.height, t.pixels.length]).toEqual([64, 64, 64 * 64]);
    // A reduced-resolution JPEG 2000 decode (the wavelet's low band), not a box average: close.
    const ref = expectedThumbnail(volume, 10, 64, 64, { center: 40, width: 300 });
    expect(correlation(ref, t.pixels)).toBeGreaterThan(0.8);
    expect(new Set(t.pixels).size).toBeGreaterThan(100);
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

describe('headers are read in their character set', () => {
  it("patient names of pydicom's character-set files: the alphabetic component pydicom decodes", () => {
    const dir = '/usr/lib/python3/dist-packages/pydicom/data/charset_files';
    const files = readdirSync(dir).filter((f) => f.endsWith('.dcm') && !f.startsWith('chrSQ'));
    const ref = pythonJson<Record<string, string>>(
      String.raw`
import json, sys, os, pydicom
a = json.load(sys.stdin)
print(json.dumps({f: str(pydicom.dcmread(os.path.join(a["dir"], f)).PatientName).split("=")[0] for f in a["files"]}))`,
      { dir, files },
    );
    for (const f of files) expect(parseDicom(join(dir, f), readFileSync(join(dir, f))).object.patientName, f).toBe(ref[f]);
  });
});

describe('the pixel data is found by walking the elements, not by searching bytes', () => {
  it('an icon image (PixelData inside a sequence) before the real one, in sequences of defined and undefined length', async () => {
    for (const [file, undefinedLength] of [
      ['MR_small.dcm', true],
      ['MR_small_implicit.dcm', false],
    ] as const) {
      const original = join(PYDICOM_FILES, file);
      const out = join(tmp, `icon-${file}`);
      pythonJson(
        String.raw`
import json, sys
import numpy as np, pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
a = json.load(sys.stdin)
ds = pydicom.dcmread(a["src"])
icon = Dataset()
icon.Rows, icon.Columns, icon.BitsAllocated, icon.BitsStored, icon.HighBit = 8, 8, 8, 8, 7
icon.SamplesPerPixel, icon.PhotometricInterpretation, icon.PixelRepresentation = 1, "MONOCHROME2", 0
icon.PixelData = np.full(64, 255, np.uint8).tobytes()
ds.IconImageSequence = Sequence([icon])
if a["undefined"]:
    ds["IconImageSequence"].is_undefined_length = True
    icon.is_undefined_length_sequence_item = True
ds.save_as(a["out"])
print("{}")`,
        { src: original, out, undefined: undefinedLength },
      );
      const v = await readVolume(out);
      expect(voxelMd5(v.voxels), file).toBe(pydicomVolume([original]).md5);
    }
  });
});

describe('headers longer than the part a scan reads first', () => {
  it('a header of 200 kB (a large private element before the pixels) is read whole, with or without preamble and meta', async () => {
    const original = join(PYDICOM_FILES, 'MR_small.dcm');
    const out = join(tmp, 'long-header.dcm');
    pythonJson(
      String.raw`
import json, sys
import pydicom
a = json.load(sys.stdin)
ds = pydicom.dcmread(a["src"])
block = ds.private_block(0x0099, "HSAM TEST", create=True)
block.add_new(0x01, "OB", bytes(200000))
ds.SeriesDescription = "long header"
ds.save_as(a["out"])
print("{}")`,
      { src: original, out },
    );
    const raw = join(tmp, 'long-header-raw.dcm');
    writeFileSync(raw, rawDataset(readFileSync(out)));
    for (const path of [out, raw]) {
      const scan = await scanDicomFiles('long-header.dcm', [path]);
      expect(scan.summary.series.map((s) => s.seriesDescription)).toEqual(['long header']);
      const v = await readVolume(path);
      expect(voxelMd5(v.voxels)).toBe(pydicomVolume([original]).md5);
    }
  });
});

describe('series thumbnails', () => {
  it('an uncompressed slice: its voxels in the file\'s window, exactly', async () => {
    const dir = join(tmp, 'thumb-mr');
    mkdirSync(dir);
    copyFileSync(join(PYDICOM_FILES, 'MR_small.dcm'), join(dir, 'mr.dcm'));
    const scan = await scanDicomFolder(dir);
    const [series] = scan.series;
    if (!series) throw new Error('no series');
    const t = series.summary.thumbnail;
    expect(t && [t.width, t.height]).toEqual([64, 64]);
    const v = await loadDicomSeries(series);
    expect([...(t?.pixels ?? [])]).toEqual(expectedThumbnail(v, 0, 64, 64, { center: 600, width: 1600 }));
  });

  it('none where decoding the middle slice would be costly (RLE) or fails (a cut JPEG 2000 file); both still listed', async () => {
    const dir = join(tmp, 'thumb-none');
    mkdirSync(join(dir, 'rle'), { recursive: true });
    mkdirSync(join(dir, 'cut'));
    copyFileSync(join(PYDICOM_FILES, 'MR_small_RLE.dcm'), join(dir, 'rle', 'rle.dcm'));
    const j2k = readFileSync(join(PYDICOM_FILES, 'JPEG2000.dcm'));
    writeFileSync(join(dir, 'cut', 'cut.dcm'), j2k.subarray(0, j2k.length - 100));
    const scan = await scanDicomFolder(dir);
    expect(scan.summary.series.map((s) => [s.transferSyntaxes, s.thumbnail])).toEqual(
      expect.arrayContaining([
        [['RLE lossless'], undefined],
        [['JPEG 2000'], undefined],
      ]),
    );
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
    // rtstruct.dcm is a raw implicit-VR dataset (no preamble, no meta): read, and set aside as
    // what it is. no_meta.dcm starts one byte off (pydicom's force=True misreads it too).
    expect(scan.summary.nonImage.map((o) => o.reason).sort()).toEqual(['RT structure set (RTSTRUCT)', 'segmentation (SEG)', 'structured report (SR)']);
    expect(scan.summary.unreadable.examples).toEqual([
      { file: 'no_meta.dcm', reason: 'not a DICOM file (no "DICM" marker at byte 128)' },
      { file: 'readme.txt', reason: 'not a DICOM file (no "DICM" marker at byte 128)' },
    ]);
    expect(await errorOf(readVolume(dir))).toBe('mixed holds 2 DICOM series; choose one of them.');
  });
});

/** A Part 10 file's dataset alone: without the preamble, "DICM" and the File Meta group. */
function rawDataset(bytes: Buffer): Buffer {
  expect(bytes.toString('latin1', 128, 136)).toBe('DICM\x02\x00\x00\x00');
  return bytes.subarray(144 + bytes.readUInt32LE(140));
}

describe('files without the preamble (raw datasets, meta without preamble)', () => {
  const cases = [
    ['explicit VR little endian', 'MR_small.dcm'],
    ['implicit VR little endian', 'MR_small_implicit.dcm'],
    ['explicit VR big endian', 'MR_small_bigendian.dcm'],
    ['explicit VR little endian, CT', 'CT_small.dcm'],
  ] as const;
  cases.forEach(([syntax, file]) => {
    it(`${syntax}: ${file} stripped of preamble and meta gives the original's voxels and geometry`, async () => {
      const original = join(PYDICOM_FILES, file);
      const raw = join(tmp, `raw-${file}`);
      writeFileSync(raw, rawDataset(readFileSync(original)));
      const ref = pydicomVolume([original]);
      const v = await readVolume(raw);
      expectGeometry(v, ref);
      expect(voxelMd5(v.voxels)).toBe(ref.md5);
      const o = await readVolume(original);
      expect(v.dicom?.sopInstanceUIDs).toEqual(o.dicom?.sopInstanceUIDs);
      expect(v.voxelType).toBe(o.voxelType);
    });
  });

  it('a File Meta group at byte 0 (no preamble, no "DICM")', async () => {
    const original = join(PYDICOM_FILES, 'MR_small_jp2klossless.dcm');
    const path = join(tmp, 'meta-first.dcm');
    writeFileSync(path, readFileSync(original).subarray(132));
    const v = await readVolume(path);
    expect(voxelMd5(v.voxels)).toBe(pydicomVolume([original]).md5);
  });

  it("pydicom's own raw files: an implicit-VR RTSTRUCT and an explicit big-endian RTPLAN are read and set aside", async () => {
    const dir = join(tmp, 'raw-objects');
    mkdirSync(dir);
    for (const f of ['rtstruct.dcm', 'ExplVR_BigEndNoMeta.dcm', 'ExplVR_LitEndNoMeta.dcm']) copyFileSync(join(PYDICOM_FILES, f), join(dir, f));
    copyFileSync(join(tmp, 'raw-MR_small.dcm'), join(dir, 'raw-mr.dcm'));
    const scan = await scanDicomFolder(dir);
    expect(scan.summary.unreadable.count).toBe(0);
    expect(scan.summary.nonImage.map((o) => [o.reason, o.fileCount]).sort()).toEqual([
      ['RT plan (RTPLAN)', 2],
      ['RT structure set (RTSTRUCT)', 1],
    ]);
    expect(scan.summary.series.map((s) => [s.modality, s.transferSyntaxes])).toEqual([['MR', ['explicit VR little endian']]]);
  });

  it('a raw dataset with compressed pixel data is refused: nothing says which codec', async () => {
    const path = join(tmp, 'raw-j2k.dcm');
    writeFileSync(path, rawDataset(readFileSync(join(PYDICOM_FILES, 'MR_small_jp2klossless.dcm'))));
    expect(await errorOf(readVolume(path))).toBe(
      'raw-j2k.dcm: the pixel data is compressed but the file has no file meta header to say how (its transfer syntax is unknown).',
    );
  });

  it('a file that only starts like a raw dataset is still not DICOM', async () => {
    const path = join(tmp, 'looks-raw.bin');
    const junk = Buffer.alloc(4000, 0x41);
    junk.set([0x08, 0x00, 0x05, 0x00, 0x40, 0x00, 0x00, 0x00]);
    writeFileSync(path, junk);
    expect(await errorOf(readVolume(path))).toBe('looks-raw.bin: unsupported file type; open a NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) or DICOM file or folder.');
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
