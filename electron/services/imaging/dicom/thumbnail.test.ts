import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FolderScan, SeriesThumbnail } from '../../../../common/contract/dicom.js';
import { callApi } from '../../../../test-support/dispatch.js';
import { TOTALSEG } from '../../../../test-support/paths.js';
import { pythonJson } from '../../../../test-support/python.js';
import { errorOf } from '../../../../test-support/errors.js';
import { createWorkstation } from '../../workstation.js';
import { scanDicomFolder } from './loader.js';
import { seriesThumbnail, thumbnail } from './thumbnail.js';

const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

/**
 * The preview computed independently: pydicom (after gdcmconv --raw for compressed files) reads
 * every frame, the middle one along the slice normal is rescaled, block-averaged with numpy and
 * windowed with the file's first window, else numpy's 1st/99th percentiles of the blocks.
 */
const reference = String.raw`
import json, os, subprocess, sys, tempfile
import numpy as np
import pydicom
args = json.load(sys.stdin)
tmp = tempfile.mkdtemp()
NATIVE = {'1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'}
frames = []
for n, path in enumerate(args['paths']):
    ds = pydicom.dcmread(path)
    if str(ds.file_meta.TransferSyntaxUID) not in NATIVE:
        if not ds.get('SOPInstanceUID') or not ds.get('SOPClassUID'):
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
            src = os.path.join(tmp, str(n) + '-uids.dcm')
            ds.save_as(src)
            path = src
        out = os.path.join(tmp, str(n) + '.dcm')
        subprocess.run(['gdcmconv', '--raw', path, out], check=True, capture_output=True)
        ds = pydicom.dcmread(out)
    count = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    a = ds.pixel_array.reshape((count, ds.Rows, ds.Columns)).astype(np.float64)
    slope = float(getattr(ds, 'RescaleSlope', getattr(ds, 'DoseGridScaling', 1)) or 1)
    inter = float(getattr(ds, 'RescaleIntercept', 0) or 0)
    iop = np.array([float(x) for x in getattr(ds, 'ImageOrientationPatient', [1, 0, 0, 0, 1, 0])])
    normal = np.cross(iop[:3], iop[3:])
    ipp = np.array([float(x) for x in getattr(ds, 'ImagePositionPatient', [0, 0, 0])])
    offsets = [float(x) for x in getattr(ds, 'GridFrameOffsetVector', [0] * count)]
    first = lambda v: float(v[0]) if isinstance(v, pydicom.multival.MultiValue) else float(v)
    wc = ds.get('WindowCenter')
    window = None if wc is None else (first(wc), first(ds.WindowWidth))
    for f in range(count):
        frames.append((float(np.dot(ipp + normal * offsets[f], normal)), a[f] * slope + inter, window))
frames.sort(key=lambda x: x[0])
_, image, window = frames[(len(frames) - 1) // 2]
h, w = args['height'], args['width']
m = image.reshape(h, image.shape[0] // h, w, image.shape[1] // w).mean(axis=(1, 3))
if window:
    lo, hi = window[0] - window[1] / 2, window[0] + window[1] / 2
else:
    lo, hi = np.percentile(m, 1, method='lower'), np.percentile(m, 99, method='higher')
g = np.round((np.clip(m, lo, hi) - lo) * (255 / (hi - lo)))
print(json.dumps(dict(pixels=g.astype(int).flatten().tolist(), window='file' if window else 'percentiles')))
`;

async function expectLikeReference(folder: string, width: number, height: number): Promise<void> {
  const scan = await scanDicomFolder(folder);
  const series = scan.series[0];
  if (!series || scan.series.length !== 1) throw new Error(`expected one series in ${folder}`);
  const t = await seriesThumbnail(series);
  expect([t.width, t.height]).toEqual([width, height]);
  const ref = pythonJson<{ pixels: number[]; window: string }>(reference, {
    paths: [...new Set(series.slices.map((s) => s.object.path))],
    width,
    height,
  });
  expect(t.window).toBe(ref.window);
  expect(t.pixels.length).toBe(ref.pixels.length);
  // Rounding of exact halves may differ by one grey level; nothing more.
  const diffs = ref.pixels.map((v, i) => Math.abs(v - (t.pixels[i] as number)));
  expect(Math.max(...diffs)).toBeLessThanOrEqual(1);
  expect(diffs.filter((d) => d > 0).length).toBeLessThan(diffs.length / 50);
  // A preview that shows something: many grey levels, not a flat square.
  expect(new Set(t.pixels).size).toBeGreaterThan(20);
}

function folderOf(...files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'hsam-thumb-'));
  mkdirSync(dir, { recursive: true });
  for (const f of files) copyFileSync(join(PYDICOM_FILES, f), join(dir, f));
  return dir;
}

describe('series previews for the picker, against pydicom + numpy', () => {
  it("the shared JPEG 2000 CT series: its middle slice, in the file's soft-tissue window", async () => {
    await expectLikeReference(join(TOTALSEG, 'example_ct_dicom'), 64, 64);
  });

  it('a tall image keeps its physical aspect (1024 × 256 pixels → 16 × 64)', async () => {
    await expectLikeReference(folderOf('JPEG2000.dcm'), 16, 64);
  });

  it('an image without a window is windowed to its percentiles', async () => {
    await expectLikeReference(folderOf('CT_small.dcm'), 64, 64);
  });

  it('a multi-frame dose grid: the middle frame along the normal, never enlarged', async () => {
    await expectLikeReference(folderOf('rtdose.dcm'), 10, 10);
  });

  it('a series whose middle image is truncated gets a message naming the file', async () => {
    const scan = await scanDicomFolder(folderOf('MR_truncated.dcm'));
    const series = scan.series[0];
    if (!series) throw new Error('the truncated file was not listed');
    expect(await errorOf(seriesThumbnail(series))).toBe(
      'No preview: MR_truncated.dcm could not be decoded (the pixel data is truncated: 8192 bytes expected, 8130 present).',
    );
  });
});

describe('dicom.thumbnail through the workstation', () => {
  it('previews a series of a scan the user made, once, and names unknown scans and series', async () => {
    const folder = folderOf('MR_small.dcm', 'CT_small.dcm');
    const ws = createWorkstation({
      version: 'test',
      emit: () => {},
      sessionsDir: mkdtempSync(join(tmpdir(), 'hsam-thumb-ws-')),
      dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(folder) },
    });
    try {
      const chosen = await callApi<{ fileId: string }>(ws, 'file.chooseFolder', {});
      const scan = await callApi<FolderScan>(ws, 'dicom.scanFolder', { fileId: chosen.fileId });
      expect(scan.series.map((s) => s.modality).sort()).toEqual(['CT', 'MR']);
      for (const s of scan.series) {
        const args = { scanId: scan.scanId, seriesId: s.seriesId };
        const t = await callApi<SeriesThumbnail>(ws, 'dicom.thumbnail', args);
        expect(t.pixels).toBeInstanceOf(Uint8Array);
        expect(t.pixels.length).toBe(t.width * t.height);
        // Asked again (the picker re-rendered): the same preview, not a second decode.
        expect(await callApi<SeriesThumbnail>(ws, 'dicom.thumbnail', args)).toBe(t);
      }
      expect(await ws.dispatch('dicom.thumbnail', { scanId: 'gone', seriesId: 'x' })).toEqual({
        ok: false,
        error: { code: 'not-found', message: 'That folder scan is no longer available; open the folder again.' },
      });
      expect(await ws.dispatch('dicom.thumbnail', { scanId: scan.scanId, seriesId: 'x' })).toEqual({
        ok: false,
        error: { code: 'not-found', message: 'The folder has no series "x"; pick one from the list.' },
      });
    } finally {
      await ws.dispose();
    }
  });
});

describe('thumbnail(): size, aspect and grey levels', () => {
  const ramp = (n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => i);

  it('pixels twice as tall as wide: 100 × 50 of them are a square, previewed at 50 × 50 (never enlarged)', () => {
    const t = thumbnail(ramp(50 * 100), 100, 50, 0.5, { window: null, invert: false });
    expect([t.width, t.height]).toEqual([50, 50]);
  });

  it('a 512 × 256 image of square pixels is previewed at 64 × 32', () => {
    const t = thumbnail(ramp(512 * 256), 512, 256, 1, { window: null, invert: false });
    expect([t.width, t.height]).toEqual([64, 32]);
  });

  it('MONOCHROME1 is inverted, and the window clips', () => {
    const values = Float32Array.from([-100, 100, 300, 500]);
    const o = { window: { center: 200, width: 400 }, invert: false };
    expect([...thumbnail(values, 2, 2, 1, o).pixels]).toEqual([0, 64, 191, 255]);
    expect([...thumbnail(values, 2, 2, 1, { ...o, invert: true }).pixels]).toEqual([255, 191, 64, 0]);
  });
});
