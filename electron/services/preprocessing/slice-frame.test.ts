import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOTALSEG } from '../../../test-support/paths.js';
import { pythonJson } from '../../../test-support/python.js';
import { readNifti } from '../imaging/nifti.js';
import type { Mat3 } from '../../../common/geometry.js';
import { viewGeometry } from '../../../renderer/src/lib/orientation.js';
import { readSlice, sliceFrame, writeSlice } from './slice-frame.js';

/** How the demo model's training data was read: nibabel, closest canonical (RAS), vol[:, :, z].T. */
const canonicalSlices = String.raw`
import json, sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
img = nib.as_closest_canonical(nib.load(a["path"]))
d = np.asanyarray(img.dataobj)
print(json.dumps(dict(shape=list(d.shape), slices={str(z): d[:, :, z].T.flatten().tolist() for z in a["z"]})))`;

describe('sliceFrame: the model sees every volume as it saw its training slices', () => {
  for (const file of ['example_ct_sm.nii.gz', 'example_mr_sm.nii.gz', 'example_seg_dicom.nii.gz']) {
    it(`${file}: columns toward R, rows toward A, like nibabel canonical vol[:, :, z].T`, async () => {
      const path = join(TOTALSEG, file);
      const v = await readNifti(path);
      const frame = sliceFrame(v, { columns: 'R', rows: 'A' });
      const zs = [0, Math.floor(frame.depth / 2), frame.depth - 1];
      const ref = pythonJson<{ shape: number[]; slices: Record<string, number[]> }>(canonicalSlices, { path, z: zs });
      expect([frame.width, frame.height, frame.depth]).toEqual(ref.shape);
      for (const z of zs) {
        const ours = readSlice(frame, v.voxels, z, new Float32Array(frame.width * frame.height));
        expect(Array.from(ours), `${basename(path)} z=${z}`).toEqual(ref.slices[String(z)]);
      }
    });
  }

  it('writes labels back to the voxels they were read from', async () => {
    const v = await readNifti(join(TOTALSEG, 'example_mr_sm.nii.gz'));
    const frame = sliceFrame(v, { columns: 'R', rows: 'A' });
    const back = new Uint8Array(v.voxels.length);
    const slice = new Float32Array(frame.width * frame.height);
    for (let z = 0; z < frame.depth; z++) writeSlice(frame, back, z, readSlice(frame, v.voxels, z, slice).map((x) => x & 0xff));
    expect(back.every((b, i) => b === ((v.voxels[i] as number) & 0xff))).toBe(true);
  });

  it('refuses an orientation that names one axis twice', async () => {
    const v = await readNifti(join(TOTALSEG, 'example_ct_sm.nii.gz'));
    expect(() => sliceFrame(v, { columns: 'R', rows: 'L' })).toThrow("This volume's orientation cannot be shown to the model as columns R, rows L.");
  });
});

describe('the model frame and the views agree on the axial axis', () => {
  it('for every obliquity, also past 45°', () => {
    for (let n = 0; n < 500; n++) {
      const [ax, ay, az] = [n * 0.37, n * 0.71, n * 1.13];
      const [cx, sx, cy, sy, cz, sz] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
      // Rz · Ry · Rx, row-major.
      const direction = [
        cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx,
        sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx,
        -sy, cy * sx, cy * cx,
      ] as unknown as Mat3;
      const v = { dims: [4, 5, 6] as const, spacing: [1, 1, 1] as const, origin: [0, 0, 0] as const, direction };
      expect(sliceFrame(v, { columns: 'R', rows: 'A' }).sliceAxis).toBe(viewGeometry(direction, 'axial').sliceAxis);
    }
  });
});
