/**
 * A label map rewritten by nibabel in other voxel orders: the same voxels on the same lattice,
 * with the axes permuted and/or flipped (and the affine changed to match), as other tools write.
 */
import { PYTHON } from './python.js';
import { execFileSync } from 'node:child_process';

const SCRIPT = `
import itertools, json, sys, os
import numpy as np, nibabel as nib
src, out = sys.argv[1], sys.argv[2]
img = nib.load(src); data = np.asarray(img.dataobj); aff = img.affine
files = []
for perm in itertools.permutations(range(3)):
    for flips in itertools.product((False, True), repeat=3):
        d, a = data, aff.copy()
        # Flip axis k: index i becomes n-1-i, so the origin moves to the last voxel and the column negates.
        for k, f in enumerate(flips):
            if f:
                d = np.flip(d, axis=k)
                a[:3, 3] = a[:3, 3] + a[:3, k] * (data.shape[k] - 1)
                a[:3, k] = -a[:3, k]
        d = np.transpose(d, perm)
        a2 = a.copy(); a2[:3, :3] = a[:3, list(perm)]
        name = os.path.join(out, 'p%d%d%d_f%d%d%d.nii.gz' % (*perm, *flips))
        nib.save(nib.Nifti1Image(np.ascontiguousarray(d), a2), name)
        files.append(name)
print(json.dumps(files))
`;

/** All 48 axis permutation × flip combinations of `src`, written under `outDir`; their paths. */
export function writeReorientedNifti(src: string, outDir: string): string[] {
  return JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT, src, outDir], { encoding: 'utf8' })) as string[];
}
