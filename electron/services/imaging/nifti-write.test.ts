import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOTALSEG } from '../../../test-support/paths.js';
import { pythonJson } from '../../../test-support/python.js';
import { readVolume } from './read-volume.js';
import { encodeNiftiFile } from './nifti-write.js';

const dir = mkdtempSync(join(tmpdir(), 'hsam-nifti-write-'));

/** nibabel's view of a written file: both affines, shape, dtype, and a checksum of the data. */
const inspect = String.raw`
import json, sys
import numpy as np, nibabel as nib
out = []
for p in json.load(sys.stdin):
    img = nib.load(p)
    d = np.asanyarray(img.dataobj)
    out.append(dict(shape=list(img.shape), dtype=str(d.dtype), sform=img.get_sform().tolist(), sform_code=int(img.header['sform_code']),
                    qform=img.get_qform().tolist(), qform_code=int(img.header['qform_code']), sum=float(d.astype(np.float64).sum()),
                    first=float(d[0, 0, 0]), mid=float(d[tuple(s // 2 for s in d.shape)])))
print(json.dumps(out))`;

interface Inspected {
  shape: number[];
  dtype: string;
  sform: number[][];
  sform_code: number;
  qform: number[][];
  qform_code: number;
  sum: number;
  first: number;
  mid: number;
}

describe('encodeNifti1 against nibabel', () => {
  const sources = ['example_ct_sm.nii.gz', 'example_mr_sm.nii.gz', 'example_ct_dicom'];

  it('writes every shared volume back with its geometry in sform and qform, and its voxels', async () => {
    const written: string[] = [];
    const originals: string[] = [];
    for (const s of sources) {
      const v = await readVolume(join(TOTALSEG, s));
      const out = join(dir, `${s.replace(/\..*$/, '')}-copy.nii.gz`);
      writeFileSync(out, encodeNiftiFile(out, v));
      written.push(out);
      // The DICOM series has no NIfTI of its own; example_seg_dicom is on its grid (rows reversed, same patient geometry).
      originals.push(join(TOTALSEG, s === 'example_ct_dicom' ? 'example_seg_dicom.nii.gz' : s));
    }
    const ours = pythonJson<Inspected[]>(inspect, written);
    const theirs = pythonJson<Inspected[]>(inspect, originals);
    ours.forEach((o, n) => {
      const t = theirs[n]!;
      expect(o.shape).toEqual(t.shape);
      expect([o.sform_code, o.qform_code]).toEqual([1, 1]);
      // Both of our affines are the same matrix.
      o.qform.flat().forEach((x, i) => expect(x).toBeCloseTo(o.sform.flat()[i]!, 4));
      if (sources[n] !== 'example_ct_dicom') {
        o.sform.flat().forEach((x, i) => expect(x, sources[n]).toBeCloseTo(t.sform.flat()[i]!, 3));
        expect(o.sum).toBe(t.sum);
        expect([o.first, o.mid]).toEqual([t.first, t.mid]);
      }
    });
    expect(ours[2]?.dtype).toBe('int16');
  });

  it('a row-flipped grid describes the same voxel centres in patient space', async () => {
    const v = await readVolume(join(TOTALSEG, 'example_ct_dicom'));
    const out = join(dir, 'dicom.nii');
    writeFileSync(out, encodeNiftiFile(out, v));
    const [ours, theirs] = pythonJson<Inspected[]>(inspect, [out, join(TOTALSEG, 'example_seg_dicom.nii.gz')]);
    const corner = (a: number[][], i: number, j: number, k: number): number[] => [0, 1, 2].map((r) => a[r]![0]! * i + a[r]![1]! * j + a[r]![2]! * k + a[r]![3]!);
    // Our voxel (0, 0, 0) is their voxel (0, 511, 0).
    corner(ours!.sform, 0, 0, 0).forEach((x, i) => expect(x).toBeCloseTo(corner(theirs!.sform, 0, 511, 0)[i]!, 2));
    corner(ours!.sform, 511, 511, 19).forEach((x, i) => expect(x).toBeCloseTo(corner(theirs!.sform, 511, 0, 19)[i]!, 2));
  });

  it('a sheared (gantry tilt) geometry keeps the exact sform and drops the qform', async () => {
    const v = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    const tilted = { ...v, direction: [-1, 0, 0, 0, -1, 0.2, 0, 0, 0.98] as const };
    const out = join(dir, 'tilt.nii');
    writeFileSync(out, encodeNiftiFile(out, tilted));
    const [r] = pythonJson<Inspected[]>(inspect, [out]);
    expect(r?.qform_code).toBe(0);
    expect(r?.sform[1]?.[2]).toBeCloseTo(-0.2 * 3, 4);
    const back = await readVolume(out);
    back.direction.forEach((d, i) => expect(d).toBeCloseTo(tilted.direction[i]! / (i % 3 === 2 ? Math.hypot(0.2, 0.98) : 1), 4));
  });
});
