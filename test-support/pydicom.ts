/**
 * Independent DICOM reference for tests: Debian's pydicom for headers and geometry, and for
 * compressed files Debian's `gdcmconv --raw` (GDCM's own decoders) before pydicom reads the
 * pixels, so no decoder of ours or of our npm packages is involved.
 *
 * `pydicomVolume` stacks the files the textbook way (sort by ImagePositionPatient projected on
 * the normal of ImageOrientationPatient, spacing from the first and last positions) and returns
 * the md5 of the rescaled voxels as little-endian float64 in (k, j, i) order, i fastest.
 */
import { createHash } from 'node:crypto';
import type { VoxelArray } from '../common/contract/volume.js';
import { pythonJson } from './python.js';
import type { ReferenceGeometry } from './reference-geometry.js';

export interface PydicomVolume extends ReferenceGeometry {
  /** md5 of the rescaled voxels as float64, i fastest, then j, then k. */
  readonly md5: string;
  readonly transferSyntax: string;
}

const script = String.raw`
import json, os, subprocess, sys, tempfile, hashlib
import numpy as np
import pydicom
args = json.load(sys.stdin)
NATIVE = {'1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'}
tmp = tempfile.mkdtemp()
slices = []
ts = None
for n, path in enumerate(args['paths']):
    ds = pydicom.dcmread(path)
    ts = str(ds.file_meta.TransferSyntaxUID)
    if ts not in NATIVE:
        src = path
        if not ds.get('SOPInstanceUID') or not ds.get('SOPClassUID'):
            # GDCM refuses to write blank SOP UIDs (anonymised data): copy them from the file
            # meta first; the pixel data is not touched.
            ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
            ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
            src = os.path.join(tmp, str(n) + '-uids.dcm')
            ds.save_as(src)
        out = os.path.join(tmp, str(n) + '.dcm')
        subprocess.run(['gdcmconv', '--raw', src, out], check=True, capture_output=True)
        ds = pydicom.dcmread(out)
    a = ds.pixel_array
    frames = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    a = a.reshape((frames, ds.Rows, ds.Columns)).astype(np.float64)
    # RTDOSE scales stored values to Gy with DoseGridScaling instead of RescaleSlope.
    slope = float(getattr(ds, 'RescaleSlope', getattr(ds, 'DoseGridScaling', 1)) or 1)
    inter = float(getattr(ds, 'RescaleIntercept', 0) or 0)
    a = a * slope + inter
    if not (slope.is_integer() and inter.is_integer()):
        a = a.astype(np.float32).astype(np.float64)  # fractional rescale is kept as float32
    ipp = [float(x) for x in getattr(ds, 'ImagePositionPatient', [0, 0, 0])]
    iop = [float(x) for x in getattr(ds, 'ImageOrientationPatient', [1, 0, 0, 0, 1, 0])]
    ps = [float(x) for x in getattr(ds, 'PixelSpacing', [1, 1])]
    offsets = [float(x) for x in getattr(ds, 'GridFrameOffsetVector', [])]  # RTDOSE
    n = np.cross(iop[:3], iop[3:])
    for f in range(frames):
        p = (np.array(ipp) + n * offsets[f]).tolist() if len(offsets) == frames and frames > 1 else ipp
        slices.append((p, iop, ps, a[f], float(getattr(ds, 'SliceThickness', 1) or 1)))
iop = np.array(slices[0][1])
row, col = iop[:3], iop[3:]
normal = np.cross(row, col)
slices.sort(key=lambda s: float(np.dot(s[0], normal)))
d = [float(np.dot(s[0], normal)) for s in slices]
sk = (d[-1] - d[0]) / (len(d) - 1) if len(d) > 1 else slices[0][4]
vol = np.stack([s[3] for s in slices])
direction = np.stack([row, col, normal], axis=1)
print(json.dumps(dict(dims=[int(vol.shape[2]), int(vol.shape[1]), int(vol.shape[0])],
    spacing=[slices[0][2][1], slices[0][2][0], sk], origin=slices[0][0],
    direction=direction.flatten().tolist(), min=float(vol.min()), max=float(vol.max()),
    md5=hashlib.md5(np.ascontiguousarray(vol, dtype='<f8').tobytes()).hexdigest(), transferSyntax=ts)))
`;

export function pydicomVolume(paths: readonly string[]): PydicomVolume {
  return pythonJson<PydicomVolume>(script, { paths });
}

/** The same digest of our voxels, for comparison with `PydicomVolume.md5`. */
export function voxelMd5(voxels: VoxelArray): string {
  return createHash('md5').update(new Uint8Array(Float64Array.from(voxels).buffer)).digest('hex');
}
