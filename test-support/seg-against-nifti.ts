/**
 * A DICOM SEG checked against a NIfTI label map by pydicom + nibabel alone: each frame's source
 * image (by Referenced SOP Instance UID) gives its pixels' patient positions, nibabel's affine
 * gives the label there. Segments are matched to label values in ascending order (the writers
 * number segments by ascending label value). A LABELMAP SEG's frames hold Segment Numbers and
 * are compared whole.
 */
import { pythonJson } from './python.js';

const SCRIPT = `
import sys, json, glob, numpy as np, pydicom, nibabel as nb
a = json.load(sys.stdin)
seg = pydicom.dcmread(a['seg']); lab = nb.load(a['nifti'])
imgs = {}
for f in glob.glob(a['series'] + '/**/*', recursive=True):
    try: d = pydicom.dcmread(f, stop_before_pixels=True, force=True)
    except Exception: continue
    if 'ImagePositionPatient' in d: imgs[d.get('SOPInstanceUID') or d.file_meta.MediaStorageSOPInstanceUID] = d
data = np.asarray(lab.dataobj).astype(int); inv = np.linalg.inv(lab.affine)
present = sorted(set(np.unique(data).tolist()) - {0})
num = {s.SegmentNumber: present[s.SegmentNumber - 1] for s in seg.SegmentSequence}
px = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
bad = 0; total = 0; refd = set()
labelmap = seg.SegmentationType == 'LABELMAP'
lut = np.zeros(int(data.max()) + 1, int)
for n, v in num.items(): lut[v] = n
for i, fr in enumerate(seg.PerFrameFunctionalGroupsSequence):
    sn = None if labelmap else fr.SegmentIdentificationSequence[0].ReferencedSegmentNumber
    uid = fr.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    refd.add(uid); d = imgs[uid]
    o = np.array(d.ImagePositionPatient, float); r = np.array(d.ImageOrientationPatient[:3], float); c = np.array(d.ImageOrientationPatient[3:], float)
    ps = [float(x) for x in d.PixelSpacing]
    jj, ii = np.mgrid[0:d.Rows, 0:d.Columns]
    ras = (o[None, None] + ii[..., None] * r * ps[1] + jj[..., None] * c * ps[0]) * [-1, -1, 1]
    v = np.rint(np.einsum('ij,hwj->hwi', inv[:3, :3], ras) + inv[:3, 3]).astype(int)
    if labelmap:
        # Every pixel holds the Segment Number of its voxel's label (0: none).
        truth = lut[data[v[..., 0], v[..., 1], v[..., 2]]]
        bad += int((truth != px[i]).sum()); total += int((truth > 0).sum())
        continue
    truth = data[v[..., 0], v[..., 1], v[..., 2]] == num[sn]
    bad += int((truth != (px[i] > 0)).sum()); total += int(truth.sum())
print(json.dumps({'segments': len(num), 'frames': len(px), 'referenced': len(refd), 'sources': len(imgs), 'mismatched': bad, 'labelled': total}))
`;

export interface SegAgainstNifti {
  segments: number;
  frames: number;
  referenced: number;
  sources: number;
  mismatched: number;
  labelled: number;
}

export const segAgainstNifti = (seg: string, series: string, nifti: string): SegAgainstNifti => pythonJson<SegAgainstNifti>(SCRIPT, { seg, series, nifti });
