import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../../../test-support/paths.js';
import { pythonJson } from '../../../test-support/python.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Volume } from '../imaging/volume.js';
import { placeLabels } from './place-labels.js';
import { LabelGridError } from './reorient-labels.js';

/**
 * nibabel writes the shared CT's labels on other grids of the same frame: upsampled to 1.5 mm
 * (every volume centre falls between two copies of its own label), a crop (same lattice, fewer
 * voxels), a 2.2 mm grid off by 0.7 mm (the expected nearest labels computed by numpy), and the
 * labels moved 1 m away.
 */
const SCRIPT = String.raw`
import json, sys, os
import numpy as np, nibabel as nib
a = json.load(sys.stdin); src, out = a["src"], a["out"]
img = nib.load(src); d = np.asarray(img.dataobj).astype(np.uint8); A = img.affine
def save(name, data, aff):
    p = os.path.join(out, name); nib.save(nib.Nifti1Image(np.ascontiguousarray(data), aff), p); return p
# x2: voxel (2i, 2i+1) centres at c -/+ 0.75 mm along each axis.
up = d.repeat(2, 0).repeat(2, 1).repeat(2, 2)
Au = A.copy(); Au[:3, :3] = A[:3, :3] / 2; Au[:3, 3] = A[:3, 3] - A[:3, :3] @ np.array([0.25, 0.25, 0.25])
crop = d[10:80, 20:90, 5:25]
Ac = A.copy(); Ac[:3, 3] = A[:3, :3] @ np.array([10, 20, 5]) + A[:3, 3]
# 2.2 mm grid, origin off by 0.7 mm; its labels are the source's nearest labels at its centres.
shape = (150, 130, 38)
Ao = A.copy(); Ao[:3, :3] = A[:3, :3] / 3 * 2.2; Ao[:3, 3] = A[:3, 3] + np.array([0.7, -0.7, 0.7])
ijk = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1).reshape(-1, 3)
world = ijk @ Ao[:3, :3].T + Ao[:3, 3]
src_idx = np.floor((world - A[:3, 3]) @ np.linalg.inv(A[:3, :3]).T + 0.5).astype(int)
ok = np.all((src_idx >= 0) & (src_idx < d.shape), axis=1)
other = np.zeros(len(ijk), np.uint8); other[ok] = d[tuple(src_idx[ok].T)]
other = other.reshape(shape)
# Expected on the volume: nearest label of the 2.2 mm map at each volume centre (0 outside it).
vi = np.stack(np.meshgrid(*[np.arange(n) for n in d.shape], indexing="ij"), -1).reshape(-1, 3)
vw = vi @ A[:3, :3].T + A[:3, 3]
oi = np.floor((vw - Ao[:3, 3]) @ np.linalg.inv(Ao[:3, :3]).T + 0.5).astype(int)
ok2 = np.all((oi >= 0) & (oi < shape), axis=1)
want = np.zeros(len(vi), np.uint8); want[ok2] = other[tuple(oi[ok2].T)]
Af = A.copy(); Af[:3, 3] += 1000
print(json.dumps(dict(up=save("up.nii.gz", up, Au), crop=save("crop.nii.gz", crop, Ac), other=save("other.nii.gz", other, Ao),
    far=save("far.nii.gz", d, Af), want=want.reshape(d.shape).flatten(order="F").tolist())))
`;

const dir = mkdtempSync(join(tmpdir(), 'hsam-place-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let volume: Volume;
let original: Uint8Array;
let files: { up: string; crop: string; other: string; far: string; want: number[] };

beforeAll(async () => {
  volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
  original = Uint8Array.from((await readVolume(join(TOTALSEG, 'example_seg.nii.gz'))).voxels);
  files = pythonJson(SCRIPT, { src: join(TOTALSEG, 'example_seg.nii.gz'), out: dir });
}, 60_000);

const place = async (f: string): Promise<ReturnType<typeof placeLabels>> => {
  const l = await readVolume(f);
  return placeLabels(volume, l, l.voxels);
};

describe('placeLabels on nibabel-written maps of the shared CT’s labels', () => {
  it('resamples a 1.5 mm map back to exactly the original labels, saying so with both spacings', async () => {
    const r = await place(files.up);
    expect(r.how).toBe('resampled');
    expect(Buffer.compare(Buffer.from(r.voxels), Buffer.from(original))).toBe(0);
    expect(r.warnings).toEqual([expect.stringMatching(/244×202×60 voxels of 1\.500×1\.500×1\.500 mm.*122×101×30 voxels of 3\.000×3\.000×3\.000 mm from [^)]*\); they were resampled onto the volume by nearest label\.$/)]);
  });

  it('places a crop on the same lattice inside, leaves the rest unlabelled and counts it', async () => {
    const r = await place(files.crop);
    expect(r.how).toBe('resampled');
    const [nx, ny] = volume.dims;
    let inside = 0;
    let wrong = 0;
    for (let k = 0; k < volume.dims[2]; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const n = i + nx * (j + ny * k);
          const isIn = i >= 10 && i < 80 && j >= 20 && j < 90 && k >= 5 && k < 25;
          if (isIn) inside++;
          if (r.voxels[n] !== (isIn ? original[n] : 0)) wrong++;
        }
      }
    }
    expect(wrong).toBe(0);
    const outside = nx * ny * volume.dims[2] - inside;
    expect(r.warnings[0]).toContain(`${outside} of its ${nx * ny * volume.dims[2]} voxels`);
  });

  it('gives numpy’s nearest labels for a 2.2 mm map 0.7 mm off', async () => {
    const r = await place(files.other);
    expect(r.how).toBe('resampled');
    let differ = 0;
    for (let n = 0; n < r.voxels.length; n++) if (r.voxels[n] !== files.want[n]) differ++;
    expect(differ).toBe(0);
    expect(r.voxels.some((v) => v > 0)).toBe(true);
    expect(r.warnings[0]).toMatch(/150×130×38 voxels of 2\.200×2\.200×2\.200 mm/);
  });

  it('refuses a map that does not overlap the volume, with both extents', async () => {
    await expect(place(files.far)).rejects.toThrow(LabelGridError);
    await expect(place(files.far)).rejects.toThrow(/^The labels \(122×101×30 voxels of 3\.000×3\.000×3\.000 mm from .*; x .* mm\) do not overlap the volume \(122×101×30 voxels .*\) anywhere\.$/);
  });
});
