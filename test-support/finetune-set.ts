/**
 * A small real training set (`hsam-trainset/1`) for fine-tuning tests, written by the trainer's
 * own `hsam.data.write_set`: axial slices of TotalSegmentator's example_ct_sm with
 * example_seg mapped to the 8 Synapse organs, reoriented and windowed exactly as the demo
 * model's card says (nibabel closest canonical, `vol[:, :, z].T`, HU [-125, 275] → [0, 1]; see
 * native-models/hsam/demo.py). The app's own exporter is tested elsewhere; this only feeds the
 * trainer.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, TOTALSEG } from './paths.js';
import { PYTHON } from './python.js';

export interface TrainingSetSpec {
  /** Slice indices (k of the canonical volume) to train on… */
  readonly train: readonly number[];
  /** …and to hold out. */
  readonly val: readonly number[];
  /** Foreground class names written to the manifest (default: the model's 8 Synapse organs). */
  readonly classNames?: readonly string[];
  readonly id?: string;
}

const SCRIPT = String.raw`
import json, os, sys
spec = json.load(sys.stdin)
sys.path.insert(0, spec["nativeModels"])
import nibabel as nib, numpy as np
from hsam.card import SYNAPSE_CLASSES
from hsam.data import write_set
from hsam.demo import canonical, map_labels, window_ct
ct = nib.load(os.path.join(spec["data"], "example_ct_sm.nii.gz"))
seg = nib.load(os.path.join(spec["data"], "example_seg.nii.gz"))
hu, _ = canonical(np.asarray(ct.dataobj).astype(np.float32), ct.affine)
lab, _ = canonical(np.asarray(seg.dataobj), seg.affine)
slices = []
for z in spec["train"] + spec["val"]:
    slices.append({"file": "ct_sm_z%03d.npz" % z, "image": window_ct(hu[:, :, z].T),
                   "label": map_labels(np.asarray(lab[:, :, z]).T), "study": "example_ct_sm", "sliceIndex": z,
                   "proposedBy": {"name": "hsam-tiny-demo", "version": "test"}, "correctedClasses": []})
names = spec["classNames"] or SYNAPSE_CLASSES
m = write_set(spec["dir"], slices, names, set_id=spec["id"], val=["ct_sm_z%03d.npz" % z for z in spec["val"]])
print(json.dumps({"id": m["id"], "slices": len(m["slices"])}))
`;

/** Write the set into `dir` (created); returns its manifest id. */
export function writeTrainingSet(dir: string, spec: TrainingSetSpec): string {
  const arg = {
    nativeModels: join(REPO_ROOT, 'native-models'),
    data: TOTALSEG,
    dir,
    train: spec.train,
    val: spec.val,
    classNames: spec.classNames ?? null,
    id: spec.id ?? `test-set-${spec.train.join('-')}`,
  };
  const out = execFileSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(arg), encoding: 'utf8' });
  return (JSON.parse(out) as { id: string }).id;
}
