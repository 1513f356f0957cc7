import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nibabelInfo } from '../../test-support/nibabel.js';
import { findFiles, REPO_ROOT, SHARED_DATA } from '../../test-support/paths.js';
import { runHsam as run } from '../../test-support/cli.js';

const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const files = findFiles(SHARED_DATA, /\.nii(\.gz)?$/);
const reference = nibabelInfo(files);

describe('hsam info', () => {
  files.forEach((file, n) => {
    it(`${basename(file)} prints the geometry nibabel computes`, async () => {
      const ref = reference[n];
      if (!ref) throw new Error('no reference');
      const { code, out, err } = await run(['info', file]);
      expect(err).toBe('');
      expect(code).toBe(0);
      const info = JSON.parse(out) as Record<string, unknown>;
      expect(Object.keys(info).sort()).toEqual(['dims', 'direction', 'max', 'min', 'name', 'origin', 'spacing', 'voxelType']);
      expect(info['dims']).toEqual(ref.dims);
      (info['spacing'] as number[]).forEach((s, i) => expect(s).toBeCloseTo(ref.spacing[i] as number, 3));
      (info['origin'] as number[]).forEach((o, i) => expect(o).toBeCloseTo(ref.origin[i] as number, 3));
      (info['direction'] as number[]).forEach((d, i) => expect(d).toBeCloseTo(ref.direction[i] as number, 5));
      expect([info['min'], info['max']]).toEqual([ref.min, ref.max]);
    });
  });

  it('the MR sample keeps its negative x and y axes (LPS: +1 on the diagonal)', async () => {
    const { out } = await run(['info', join(SHARED_DATA, 'totalsegmentator', 'example_mr_sm.nii.gz')]);
    const dir = (JSON.parse(out) as { direction: number[] }).direction;
    expect([dir[0], dir[4], dir[8]].map((d) => Math.sign(d as number))).toEqual([1, 1, 1]);
  });

  it('a missing file: message on stderr, exit 1, nothing on stdout', async () => {
    expect(await run(['info', '/nonexistent/scan.nii.gz'])).toEqual({
      code: 1,
      out: '',
      err: 'hsam: Cannot read scan.nii.gz: file not found.\n',
    });
  });

  it('an unsupported file type', async () => {
    const r = await run(['info', join(REPO_ROOT, 'package.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('hsam: package.json: unsupported file type; open a NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) or DICOM file or folder.\n');
  });

  it('a DICOM folder with one series prints its volume, with the series UID', async () => {
    const { code, out, err } = await run(['info', join(SHARED_DATA, 'totalsegmentator', 'example_ct_dicom')]);
    expect([code, err]).toEqual([0, '']);
    const info = JSON.parse(out) as Record<string, unknown>;
    expect(info).toMatchObject({ dims: [512, 512, 20], voxelType: 'int16', modality: 'CT', seriesInstanceUID: '', min: -1024 });
    expect(info).not.toHaveProperty('sopInstanceUIDs');
  });

  it('a folder with several series prints the series list; --series opens one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hsam-cli-'));
    for (const f of ['MR_small.dcm', 'CT_small.dcm', 'test-SR.dcm']) copyFileSync(join(PYDICOM_FILES, f), join(dir, f));
    const list = await run(['info', dir]);
    expect([list.code, list.err]).toEqual([0, '']);
    const scan = JSON.parse(list.out) as { folder: string; series: { seriesId: string; modality: string }[]; nonImage: { reason: string }[] };
    expect(scan.series.map((x) => x.modality).sort()).toEqual(['CT', 'MR']);
    expect(scan.nonImage.map((x) => x.reason)).toEqual(['structured report (SR)']);
    const mr = scan.series.find((x) => x.modality === 'MR');
    const one = await run(['info', dir, '--series', mr?.seriesId ?? '']);
    expect(JSON.parse(one.out)).toMatchObject({ dims: [64, 64, 1], modality: 'MR', seriesInstanceUID: mr?.seriesId });
    const wrong = await run(['info', dir, '--series', '1.2.3']);
    expect([wrong.code, wrong.err]).toEqual([1, `hsam: ${basename(dir)} has no series "1.2.3"; run without --series to list them.\n`]);
  });

  it('usage errors exit 2', async () => {
    const r = await run(['info']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("missing required argument 'file'");
  });

  it('the installed `hsam` command runs the same code', () => {
    const bin = join(REPO_ROOT, 'bin', 'hsam.mjs');
    expect(existsSync(join(REPO_ROOT, 'dist', 'cli', 'hsam.js')), 'run npm run build first').toBe(true);
    const sample = join(REPO_ROOT, 'resources', 'sample', 'example_ct_sm.nii.gz');
    const info = JSON.parse(execFileSync(process.execPath, [bin, 'info', sample], { encoding: 'utf8' })) as { dims: number[] };
    expect(info.dims).toEqual([122, 101, 30]);
    const bad = spawnSync(process.execPath, [bin, 'info', '/nope.nii'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('hsam: Cannot read nope.nii: file not found.\n');
  });
});
