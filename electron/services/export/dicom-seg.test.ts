import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, TOTALSEG } from '../../../test-support/paths.js';
import { pythonJson } from '../../../test-support/python.js';
import { loadDicomSeries, scanDicomFolder } from '../imaging/dicom/loader.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Geometry, Volume } from '../imaging/volume.js';
import { dicomCielab, writeDicomSeg } from './dicom-seg.js';
import { readLabelSchema, segmentsFor, type LabelClass } from './label-schema.js';
import type { AlgorithmType, LabelExportInput } from './segments.js';
import { errorOf } from '../../../test-support/errors.js';

const CT_DIR = join(TOTALSEG, 'example_ct_dicom');
const SOURCE_FILES = readdirSync(CT_DIR).map((f) => join(CT_DIR, f));
/** TotalSegmentator `total` index → Synapse class of the demo model. */
const TOTAL_TO_SYNAPSE = new Map([
  [1, 1], // spleen
  [2, 2], // kidney_right
  [3, 3], // kidney_left
  [4, 4], // gallbladder
  [5, 5], // liver
  [6, 6], // stomach
  [52, 7], // aorta
  [7, 8], // pancreas
]);
const MODEL = { name: 'hsam-tiny-demo', version: '0.1.0' };
const tmp = mkdtempSync(join(tmpdir(), 'hsam-dicom-seg-'));

/**
 * The label map of `labels` (another file's grid) resampled onto `target`'s voxels, mapping
 * values through `classes`. Both grids must hold the same voxel centres, in any axis order or
 * direction (dcm2niix stores rows bottom-up): anything else fails the test.
 */
function onGrid(labels: Volume, target: Geometry, classes: ReadonlyMap<number, number>): Uint8Array {
  // index in `labels` = A · (index in target) + b, with A a signed permutation.
  const A: number[][] = [0, 1, 2].map((r) =>
    [0, 1, 2].map((c) => [0, 1, 2].reduce((s, x) => s + labels.direction[x * 3 + r]! * target.direction[x * 3 + c]!, 0) * (target.spacing[c]! / labels.spacing[r]!)),
  );
  const b = [0, 1, 2].map((r) => [0, 1, 2].reduce((s, x) => s + labels.direction[x * 3 + r]! * (target.origin[x]! - labels.origin[x]!), 0) / labels.spacing[r]!);
  for (const row of A) for (const a of row) expect(Math.min(Math.abs(a), Math.abs(Math.abs(a) - 1))).toBeLessThan(1e-4);
  for (const x of b) expect(Math.abs(x - Math.round(x))).toBeLessThan(1e-3);
  const M = A.map((row) => row.map(Math.round));
  const o = b.map(Math.round);
  const [ni, nj, nk] = target.dims;
  const [li, lj] = labels.dims;
  const corner = (i: number, j: number, k: number): number[] => [0, 1, 2].map((r) => M[r]![0]! * i + M[r]![1]! * j + M[r]![2]! * k + o[r]!);
  for (const c of [corner(0, 0, 0), corner(ni - 1, nj - 1, nk - 1)]) c.forEach((x, r) => expect(x >= 0 && x < labels.dims[r]!).toBe(true));
  const out = new Uint8Array(ni * nj * nk);
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++) {
        const [x, y, z] = corner(i, j, k) as [number, number, number];
        out[i + ni * (j + nj * k)] = classes.get(labels.voxels[x + li * (y + lj * z)] as number) ?? 0;
      }
    }
  }
  return out;
}

const md5 = (a: Uint8Array): string => createHash('md5').update(a).digest('hex');

function dciodvfy(path: string): { errors: string[]; warnings: string[] } {
  const r = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  return { errors: lines.filter((l) => l.startsWith('Error')), warnings: lines.filter((l) => l.startsWith('Warning')) };
}


interface PydicomSeg {
  md5: string;
  frames: number;
  overlaps: number;
  offSlice: number;
  wrongSource: number;
  frameOfReferenceUID: string;
  sourceFrameOfReferenceUIDs: string[];
  referencedInstancesEqualSource: boolean;
  orientationAndSpacingEqualSource: boolean;
  segments: {
    number: number;
    label: string;
    algorithmType: string;
    algorithmName: string | null;
    category: string[];
    type: string[];
    modifier: string[] | null;
    cielab: number[];
    rgb: number[];
  }[];
}

/**
 * pydicom's reading of a SEG against the source files: the label volume rebuilt from the frames
 * (ReferencedSegmentNumber → label value, ImagePositionPatient → the source slice at that point),
 * each frame's Source Image reference checked against that slice's file, and the segments with
 * their CIELab colour turned back into sRGB (CIE formulas, D65 white).
 */
const PYDICOM_SEG = String.raw`
import hashlib, json, sys
import numpy as np
import pydicom
args = json.load(sys.stdin)
seg = pydicom.dcmread(args['seg'])
src = [pydicom.dcmread(p, stop_before_pixels=True) for p in args['sources']]
iop = np.array(src[0].ImageOrientationPatient, float)
normal = np.cross(iop[:3], iop[3:])
src.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, float), normal)))
uid = lambda d: str(d.get('SOPInstanceUID') or d.file_meta.MediaStorageSOPInstanceUID)
cls = lambda d: str(d.get('SOPClassUID') or d.file_meta.MediaStorageSOPClassUID)
pos = np.array([np.array(d.ImagePositionPatient, float) for d in src])
value = {int(s.SegmentNumber): args['values'][s.SegmentLabel] for s in seg.SegmentSequence}
frames = seg.pixel_array
if frames.ndim == 2:
    frames = frames[None]
vol = np.zeros((len(src), int(seg.Rows), int(seg.Columns)), np.uint8)
overlaps = off_slice = wrong_source = 0
for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
    number = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
    ipp = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
    d = np.linalg.norm(pos - ipp, axis=1)
    k = int(np.argmin(d))
    off_slice += int(d[k] > 1e-3)
    ref = item.DerivationImageSequence[0].SourceImageSequence[0]
    wrong_source += int(str(ref.ReferencedSOPInstanceUID) != uid(src[k]) or str(ref.ReferencedSOPClassUID) != cls(src[k]))
    m = frames[f] != 0
    overlaps += int(np.count_nonzero(vol[k][m]))
    vol[k][m] = value[number]
def rgb(lab):
    L, a, b = lab[0] * 100 / 65535, lab[1] * 255 / 65535 - 128, lab[2] * 255 / 65535 - 128
    fy = (L + 16) / 116
    finv = lambda t: t ** 3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)
    xyz = np.array([0.95047 * finv(fy + a / 500), finv(fy), 1.08883 * finv(fy - b / 200)])
    lin = np.array([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560], [0.0556434, -0.2040259, 1.0572252]]) @ xyz
    srgb = [12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055 for c in np.clip(lin, 0, 1)]
    return [int(round(255 * c)) for c in srgb]
code = lambda c: [str(c.CodeValue), str(c.CodingSchemeDesignator), str(c.CodeMeaning)]
segments = []
for s in seg.SegmentSequence:
    t = s.SegmentedPropertyTypeCodeSequence[0]
    mod = t.get('SegmentedPropertyTypeModifierCodeSequence')
    segments.append(dict(number=int(s.SegmentNumber), label=str(s.SegmentLabel), algorithmType=str(s.SegmentAlgorithmType),
        algorithmName=str(s.SegmentAlgorithmName) if 'SegmentAlgorithmName' in s else None,
        category=code(s.SegmentedPropertyCategoryCodeSequence[0]), type=code(t), modifier=code(mod[0]) if mod else None,
        cielab=[int(x) for x in s.RecommendedDisplayCIELabValue], rgb=rgb([int(x) for x in s.RecommendedDisplayCIELabValue])))
shared = seg.SharedFunctionalGroupsSequence[0]
refs = {str(r.ReferencedSOPInstanceUID) for r in seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence}
print(json.dumps(dict(md5=hashlib.md5(vol.tobytes()).hexdigest(), frames=int(seg.NumberOfFrames), overlaps=overlaps,
    offSlice=off_slice, wrongSource=wrong_source, frameOfReferenceUID=str(seg.FrameOfReferenceUID),
    sourceFrameOfReferenceUIDs=sorted({str(d.FrameOfReferenceUID) for d in src}),
    referencedInstancesEqualSource=refs == {uid(d) for d in src},
    orientationAndSpacingEqualSource=bool(np.allclose(np.array(shared.PlaneOrientationSequence[0].ImageOrientationPatient, float), iop)
        and np.allclose(np.array(shared.PixelMeasuresSequence[0].PixelSpacing, float), np.array(src[0].PixelSpacing, float))),
    segments=segments)))
`;

function pydicomSeg(seg: string, values: Readonly<Record<string, number>>): PydicomSeg {
  return pythonJson<PydicomSeg>(PYDICOM_SEG, { seg, sources: SOURCE_FILES, values });
}

describe('DICOM SEG export of the shared CT series', async () => {
  const volume = await loadDicomSeries((await scanDicomFolder(CT_DIR)).series[0]!);
  const totalseg = await readVolume(join(TOTALSEG, 'example_seg_dicom.nii.gz'));
  const labels = onGrid(totalseg, volume, TOTAL_TO_SYNAPSE);
  const schema = await readLabelSchema(join(REPO_ROOT, 'resources', 'label-schemas', 'synapse-abdomen.json'));
  const card = JSON.parse(readFileSync(join(REPO_ROOT, 'native-models', 'models', 'demo', 'model.json'), 'utf8')) as { classes: LabelClass[] };
  const present = [...new Set(labels)].filter((v) => v > 0);
  const automatic = new Map(present.map((v): [number, AlgorithmType] => [v, 'AUTOMATIC']));
  const input: LabelExportInput = { volume, labels, segments: segmentsFor(card.classes, automatic, { schema, model: MODEL }), description: 'H-SAM demo, corrected' };
  const values = Object.fromEntries(input.segments.map((s) => [s.name, s.labelValue]));
  const path = join(tmp, 'organs.dcm');
  const report = await writeDicomSeg(input, path, { creatorName: 'Tester^Ann' });

  it('writes every Synapse organ of the label map and says what it read back', () => {
    expect(present.length).toBeGreaterThanOrEqual(4); // the 20 slices hold spleen, liver, stomach, aorta and pancreas
    expect(report.files).toEqual([{ path, bytes: readFileSync(path).length }]);
    expect(report.verified).toMatch(new RegExp(`^${present.length} segments, [\\d ]+ labelled voxels in \\d+ frames read back identical; segment labels, colours, codes and each frame's source slice as written$`));
    // The shared series is anonymised: blank Study and Series Instance UIDs are substituted and told.
    expect(report.warnings).toHaveLength(2);
    expect(report.warnings[0]).toMatch(/^The source images have no Study Instance UID \(anonymised\)/);
  });

  it('passes dciodvfy without errors', () => {
    const { errors, warnings } = dciodvfy(path);
    console.log(`dciodvfy ${path}:\n${warnings.join('\n') || '(no warnings)'}`);
    expect(errors).toEqual([]);
  });

  it('reads back in pydicom into the same voxels, segments and source references', () => {
    const seg = pydicomSeg(path, values);
    expect(seg.md5).toBe(md5(labels));
    expect([seg.overlaps, seg.offSlice, seg.wrongSource]).toEqual([0, 0, 0]);
    // One frame per (segment, slice) holding it.
    let frames = 0;
    for (const v of present) for (let k = 0; k < volume.dims[2]; k++) if (labels.subarray(k * 512 * 512, (k + 1) * 512 * 512).includes(v)) frames++;
    expect(seg.frames).toBe(frames);
    expect(seg.sourceFrameOfReferenceUIDs).toEqual([seg.frameOfReferenceUID]);
    expect(seg.referencedInstancesEqualSource).toBe(true);
    expect(seg.orientationAndSpacingEqualSource).toBe(true);
    expect(seg.segments.map((s) => s.number)).toEqual(input.segments.map((_, n) => n + 1));
    input.segments.forEach((s, n) => {
      const got = seg.segments[n]!;
      expect(got).toMatchObject({
        label: s.name,
        algorithmType: 'AUTOMATIC',
        algorithmName: 'hsam-tiny-demo 0.1.0',
        category: ['123037004', 'SCT', 'Anatomical Structure'],
        type: [s.type.value, 'SCT', s.type.meaning],
        modifier: null,
        cielab: dicomCielab(s.color),
      });
      // The CIELab value turns back into the class colour (an independent inverse, in Python).
      got.rgb.forEach((c, i) => expect(Math.abs(c - s.color[i]!)).toBeLessThanOrEqual(1));
    });
    expect(seg.segments.find((s) => s.label === 'Liver')?.type).toEqual(['10200004', 'SCT', 'Liver']);
  });

  it('gives every export of these anonymised images the same derived study', async () => {
    const again = join(tmp, 'organs-again.dcm');
    await writeDicomSeg(input, again);
    const uids = pythonJson<string[][]>(
      String.raw`
import json, sys
import pydicom
print(json.dumps([[str(d.StudyInstanceUID), str(d.SeriesInstanceUID), str(d.SOPInstanceUID), str(d.ReferencedSeriesSequence[0].SeriesInstanceUID)] for d in (pydicom.dcmread(p) for p in json.load(sys.stdin))]))
`,
      [path, again],
    );
    const [a, b] = uids as [string[], string[]];
    expect(a[0]).toMatch(/^2\.25\.\d+$/);
    expect(b[0]).toBe(a[0]);
    expect(b[3]).toBe(a[3]);
    expect(b[1]).not.toBe(a[1]);
    expect(b[2]).not.toBe(a[2]);
  });

  // Liver as the model left it, stomach corrected, a right kidney and a lesion drawn by hand.
  const mixedLabels = labels.map((v) => (v === 5 || v === 6 ? v : 0));
  for (let k = 8; k < 12; k++) for (let j = 300; j < 320; j++) for (let i = 100; i < 130; i++) mixedLabels[i + 512 * (j + 512 * k)] = 2;
  for (let j = 200; j < 205; j++) for (let i = 250; i < 256; i++) mixedLabels[i + 512 * (j + 512 * 10)] = 9;
  const provenance = new Map<number, AlgorithmType>([
    [5, 'AUTOMATIC'],
    [6, 'SEMIAUTOMATIC'],
    [2, 'MANUAL'],
    [9, 'MANUAL'],
  ]);
  const mixed: LabelExportInput = {
    volume,
    labels: mixedLabels,
    segments: segmentsFor([...card.classes, { index: 9, name: 'lesion' }], provenance, { schema, model: MODEL }),
    description: 'mixed provenance',
  };
  const mixedPath = join(tmp, 'mixed.dcm');

  it('writes each segment algorithm type from provenance, with no algorithm name for MANUAL', async () => {
    await writeDicomSeg(mixed, mixedPath);
    const { errors, warnings } = dciodvfy(mixedPath);
    console.log(`dciodvfy ${mixedPath}:\n${warnings.join('\n') || '(no warnings)'}`);
    expect(errors).toEqual([]);
    const seg = pydicomSeg(mixedPath, Object.fromEntries(mixed.segments.map((s) => [s.name, s.labelValue])));
    expect(seg.md5).toBe(md5(mixedLabels));
    expect(seg.segments.map(({ number, label, algorithmType, algorithmName, category, type, modifier }) => ({ number, label, algorithmType, algorithmName, category, type, modifier }))).toEqual([
      { number: 1, label: 'Right kidney', algorithmType: 'MANUAL', algorithmName: null, category: ['123037004', 'SCT', 'Anatomical Structure'], type: ['64033007', 'SCT', 'Kidney'], modifier: ['24028007', 'SCT', 'Right'] },
      { number: 2, label: 'Liver', algorithmType: 'AUTOMATIC', algorithmName: 'hsam-tiny-demo 0.1.0', category: ['123037004', 'SCT', 'Anatomical Structure'], type: ['10200004', 'SCT', 'Liver'], modifier: null },
      { number: 3, label: 'Stomach', algorithmType: 'SEMIAUTOMATIC', algorithmName: 'hsam-tiny-demo 0.1.0', category: ['123037004', 'SCT', 'Anatomical Structure'], type: ['69695003', 'SCT', 'Stomach'], modifier: null },
      // A class the schema does not know: generic coding under its own name.
      { number: 4, label: 'lesion', algorithmType: 'MANUAL', algorithmName: null, category: ['85756007', 'SCT', 'Tissue'], type: ['85756007', 'SCT', 'Tissue'], modifier: null },
    ]);
  });

  it('refuses a volume that did not come from DICOM, and a label map with nothing labelled', async () => {
    const nifti: LabelExportInput = { ...input, volume: totalseg };
    expect(await errorOf(writeDicomSeg(nifti, join(tmp, 'nifti.dcm')))).toBe(
      'example_seg_dicom.nii.gz was not opened from DICOM images, so a DICOM SEG would have no source images to reference. Open the original DICOM series to export a DICOM SEG, or export these labels as NIfTI or NRRD.',
    );
    expect(await errorOf(writeDicomSeg({ ...input, labels: new Uint8Array(labels.length) }, join(tmp, 'empty.dcm')))).toBe(
      'Nothing is labelled in CT Body 3.0: label at least one structure before exporting a DICOM SEG.',
    );
    expect(await errorOf(writeDicomSeg({ ...mixed, segments: mixed.segments.filter((s) => s.labelValue !== 9) }, join(tmp, 'undescribed.dcm')))).toBe(
      'The label map uses class value 9, which no segment describes; the DICOM SEG was not written.',
    );
    expect(readdirSync(tmp).filter((f) => /^(nifti|empty|undescribed)\.dcm/.test(f) || f.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the earlier file byte for byte when a save fails (a file-size limit stops the write)', async () => {
    // The earlier export is the mixed-provenance map; the new one, the full organ map, is saved by
    // a separate process whose file-size limit (RLIMIT_FSIZE, as a disk quota would) is smaller
    // than the file, so the write stops short: the read-back must catch it.
    const dir = join(tmp, 'limited');
    mkdirSync(dir);
    const target = join(dir, 'labels.dcm');
    await writeDicomSeg(mixed, target);
    const earlier = readFileSync(target);
    const { voxels: _voxels, ...geometry } = volume;
    writeFileSync(join(dir, 'input.json'), JSON.stringify({ volume: geometry, segments: input.segments, description: input.description }));
    writeFileSync(join(dir, 'labels.bin'), labels);
    const child = join(dir, 'save.mts');
    writeFileSync(
      child,
      `import { readFileSync } from 'node:fs';
import { writeDicomSeg } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'electron/services/export/dicom-seg.ts')).href)};
const dir = ${JSON.stringify(dir)};
const { volume, segments, description } = JSON.parse(readFileSync(dir + '/input.json', 'utf8'));
const labels = new Uint8Array(readFileSync(dir + '/labels.bin'));
try {
  await writeDicomSeg({ volume: { ...volume, voxelType: 'uint8', voxels: new Uint8Array(0) }, labels, segments, description }, dir + '/labels.dcm');
  console.log(JSON.stringify({ saved: true }));
} catch (e) {
  console.log(JSON.stringify({ saved: false, name: e.name, message: e.message }));
}
`,
    );
    const limit = 1 << 20;
    expect(report.files[0]!.bytes).toBeGreaterThan(limit); // the new file cannot fit
    const r = spawnSync('prlimit', [`--fsize=${limit}`, process.execPath, '--import', 'tsx', child], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    });
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout) as { saved: boolean; name?: string; message?: string };
    console.log(`save under a ${limit}-byte file-size limit: ${result.message}`);
    expect(result).toMatchObject({ saved: false, name: 'UserFacingError' });
    expect(result.message).toBe('Could not save labels.dcm: the file is larger than this system or disk allows. The previous version is unchanged.');
    expect(readFileSync(target).equals(earlier)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['input.json', 'labels.bin', 'labels.dcm', 'save.mts']);
  });
});

describe('a multi-frame source (an RTDOSE of 15 frames in one file)', async () => {
  const source = join('/usr/lib/python3/dist-packages/pydicom/data/test_files', 'rtdose.dcm');
  const volume = await readVolume(source);
  const [ni, nj, nk] = volume.dims;
  const labels = new Uint8Array(ni * nj * nk);
  for (let k = 3; k < 9; k++) for (let j = 2; j < 6; j++) for (let i = 4; i < 8; i++) labels[i + ni * (j + nj * k)] = 1;
  const segments = segmentsFor([{ index: 1, name: 'target' }], new Map([[1, 'MANUAL']]), { schema: await readLabelSchema(join(REPO_ROOT, 'resources', 'label-schemas', 'synapse-abdomen.json')) });
  const path = join(tmp, 'rtdose-seg.dcm');
  const report = await writeDicomSeg({ volume, labels, segments, description: 'target' }, path);

  it('references each slice by its frame number in the one source instance, and passes dciodvfy', () => {
    expect(report.verified).toMatch(/^1 segment, 96 labelled voxels in 6 frames read back identical/);
    const { errors, warnings } = dciodvfy(path);
    console.log(`dciodvfy ${path}:\n${warnings.join('\n') || '(no warnings)'}`);
    expect(errors).toEqual([]);
    const refs = pythonJson<{ instances: number; frames: [number, number][] }>(
      String.raw`
import json, sys
import numpy as np
import pydicom
a = json.load(sys.stdin)
seg, src = pydicom.dcmread(a['seg']), pydicom.dcmread(a['source'])
iop = np.array(src.ImageOrientationPatient, float)
normal = np.cross(iop[:3], iop[3:])
frames = []
for item in seg.PerFrameFunctionalGroupsSequence:
    ref = item.DerivationImageSequence[0].SourceImageSequence[0]
    assert str(ref.ReferencedSOPInstanceUID) == str(src.SOPInstanceUID)
    ipp = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
    # The source frame at this position, from its own GridFrameOffsetVector.
    offsets = np.array(src.GridFrameOffsetVector, float)
    at = np.array(src.ImagePositionPatient, float)[None, :] + offsets[:, None] * normal[None, :]
    frames.append([int(ref.ReferencedFrameNumber), int(np.argmin(np.linalg.norm(at - ipp, axis=1))) + 1])
print(json.dumps(dict(instances=len(seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence), frames=frames)))
`,
      { seg: path, source },
    );
    expect(refs.instances).toBe(1);
    expect(refs.frames).toHaveLength(6);
    for (const [referenced, atPosition] of refs.frames) expect(referenced).toBe(atPosition);
  });
});
