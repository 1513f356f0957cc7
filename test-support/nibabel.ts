/** NIfTI geometry and value summary as nibabel reads it, converted to LPS like ours. */
import { pythonJson } from './python.js';
import type { ReferenceGeometry } from './reference-geometry.js';

export interface NibabelInfo extends ReferenceGeometry {
  readonly sum: number;
  /** Voxel values at the probe indices, `img.dataobj[i, j, k]` with scaling applied. */
  readonly probes: number[];
}

const script = String.raw`
import json, sys
import numpy as np
import nibabel as nib
args = json.load(sys.stdin)
out = []
for path in args["paths"]:
    img = nib.load(path)
    a = img.affine  # nibabel: sform if its code is set, else qform, like ITK
    lps = np.diag([-1.0, -1.0, 1.0]) @ a[:3, :]
    spacing = np.linalg.norm(lps[:, :3], axis=0)
    direction = lps[:, :3] / spacing
    data = np.asanyarray(img.dataobj)
    probes = [float(data[i, j, k]) for i, j, k in args["probes"] if i < data.shape[0] and j < data.shape[1] and k < data.shape[2]]
    out.append(dict(dims=list(img.shape[:3]), spacing=spacing.tolist(), origin=lps[:, 3].tolist(),
                    direction=direction.flatten().tolist(), min=float(data.min()), max=float(data.max()),
                    sum=float(data.astype(np.float64).sum()), probes=probes))
print(json.dumps(out))
`;

export const PROBES: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [60, 50, 10],
  [100, 20, 5],
  [7, 90, 19],
  [121, 100, 29],
];

export function nibabelInfo(paths: readonly string[]): NibabelInfo[] {
  return pythonJson<NibabelInfo[]>(script, { paths, probes: PROBES });
}
