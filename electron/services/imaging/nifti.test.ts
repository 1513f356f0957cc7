import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../common/contract/result.js';
import { nibabelInfo, PROBES } from '../../../test-support/nibabel.js';
import { pythonJson } from '../../../test-support/python.js';
import { findFiles, SHARED_DATA } from '../../../test-support/paths.js';
import { readNifti } from './nifti.js';
import { valueRange } from './volume.js';

const niftiFiles = findFiles(SHARED_DATA, /\.nii(\.gz)?$/);
const reference = nibabelInfo(niftiFiles);

describe('readNifti against nibabel on every shared NIfTI', () => {
  it('finds the shared volumes', () => {
    expect(niftiFiles.map((f) => basename(f))).toContain('example_ct_sm.nii.gz');
    expect(niftiFiles.length).toBeGreaterThanOrEqual(6);
  });

  niftiFiles.forEach((file, n) => {
    it(`${basename(file)}: geometry in LPS and voxel values`, async () => {
      const ref = reference[n];
      if (!ref) throw new Error('no reference');
      const v = await readNifti(file);
      expect([...v.dims]).toEqual(ref.dims);
      v.spacing.forEach((s, i) => expect(s).toBeCloseTo(ref.spacing[i] as number, 3));
      v.origin.forEach((o, i) => expect(o).toBeCloseTo(ref.origin[i] as number, 3));
      v.direction.forEach((d, i) => expect(d).toBeCloseTo(ref.direction[i] as number, 5));
      const range = valueRange(v.voxels);
      expect(range.min).toBe(ref.min);
      expect(range.max).toBe(ref.max);
      let sum = 0;
      for (const x of v.voxels) sum += x;
      expect(sum).toBeCloseTo(ref.sum, 0);
      // i fastest, then j, then k: the same voxel as nibabel's data[i, j, k].
      const [nx, ny, nz] = v.dims;
      const ours = PROBES.filter(([i, j, k]) => i < nx && j < ny && k < nz).map(([i, j, k]) => v.voxels[i + nx * (j + ny * k)]);
      expect(ours).toEqual(ref.probes);
    });
  });
});

describe('NIfTI-2', () => {
  it('reads a NIfTI-2 file (written by nibabel from the shared MR) with the same geometry and voxels', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'hsam-nifti2-'));
    const out = join(dir2, 'mr.nii.gz');
    const source = join(SHARED_DATA, 'totalsegmentator', 'example_mr_sm.nii.gz');
    const ref = pythonJson<{ header: string }>(
      String.raw`
import json, sys
import nibabel as nib
a = json.load(sys.stdin)
img = nib.load(a["src"])
two = nib.Nifti2Image(img.dataobj, img.affine, header=None)
two.set_qform(img.affine, 1)
two.set_sform(img.affine, 2)
nib.save(two, a["out"])
print(json.dumps(dict(header=type(nib.load(a["out"]).header).__name__)))`,
      { src: source, out },
    );
    expect(ref.header).toBe('Nifti2Header');
    const [two, one] = await Promise.all([readNifti(out), readNifti(source)]);
    expect([...two.dims]).toEqual([...one.dims]);
    two.origin.forEach((o, i) => expect(o).toBeCloseTo(one.origin[i]!, 3));
    two.direction.forEach((d, i) => expect(d).toBeCloseTo(one.direction[i]!, 5));
    two.spacing.forEach((x, i) => expect(x).toBeCloseTo(one.spacing[i]!, 4));
    expect(Buffer.from(two.voxels.buffer).equals(Buffer.from(one.voxels.buffer))).toBe(true);
  });
});

describe('readNifti rejects bad files with a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hsam-nifti-'));
  const sample = join(SHARED_DATA, 'totalsegmentator', 'example_ct_sm.nii.gz');
  const raw = gunzipSync(readFileSync(sample));

  async function errorOf(name: string, bytes: Uint8Array): Promise<UserFacingError> {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const e: unknown = await readNifti(path).then(
      () => null,
      (err: unknown) => err,
    );
    if (!(e instanceof UserFacingError)) throw new Error(`expected a UserFacingError, got ${String(e)}`);
    return e;
  }

  it('a missing file', async () => {
    await expect(readNifti(join(dir, 'absent.nii.gz'))).rejects.toThrow('Cannot read absent.nii.gz: file not found.');
  });

  it('a truncated volume', async () => {
    const e = await errorOf('truncated.nii', raw.subarray(0, raw.length - 1000));
    expect(e.message).toBe('truncated.nii is truncated: 739320 bytes of voxels expected, 738320 present.');
  });

  it('a corrupt gzip stream', async () => {
    const gz = gzipSync(raw);
    const e = await errorOf('corrupt.nii.gz', gz.subarray(0, gz.length / 2));
    expect(e.message).toBe('corrupt.nii.gz is gzip-compressed but the data is corrupt or truncated.');
  });

  it('a file that is not NIfTI', async () => {
    const e = await errorOf('notes.nii', new TextEncoder().encode('just some text, not an image header at all'.repeat(20)));
    expect(e.message).toBe('notes.nii is not a NIfTI-1 or NIfTI-2 file.');
  });

  it('a 4-D series', async () => {
    const fourD = Uint8Array.from(raw);
    const view = new DataView(fourD.buffer);
    view.setInt16(40, 4, true); // dim[0] = 4
    view.setInt16(48, 3, true); // dim[4] = 3 volumes
    const e = await errorOf('series.nii', fourD);
    expect(e.message).toBe('series.nii holds 3 volumes (4-D or more); open a single 3-D volume.');
  });

  it('prefers the sform over a conflicting qform, as ITK does', async () => {
    const bytes = Uint8Array.from(raw);
    const view = new DataView(bytes.buffer);
    view.setInt16(252, 1, true); // qform_code: scanner
    view.setInt16(254, 2, true); // sform_code: aligned
    view.setFloat32(268, 99, true); // qoffset_x, must be ignored
    view.setFloat32(292, -12.5, true); // srow_x[3]: RAS x of voxel (0,0,0)
    const path = join(dir, 'sform.nii');
    writeFileSync(path, bytes);
    const v = await readNifti(path);
    expect(v.origin[0]).toBeCloseTo(12.5, 5); // LPS x = −RAS x
  });
});
