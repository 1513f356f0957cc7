/**
 * `hsam export` end to end on the shared CT series: `hsam segment`'s labels written in every
 * format, and TotalSegmentator's reference labels (mapped to the demo's 8 classes, written with
 * our NIfTI writer) exported as corrected and as manual work. What we wrote is read by others:
 * nibabel for the NIfTI (affine against pydicom's from the source headers), numpy for the
 * .seg.nrrd, pydicom for the DICOM SEG (algorithm type per --provenance, voxels per segment).
 * Refusals: exit 1 with one line on stderr and nothing written; usage errors exit 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { affineCornerDistance, inspectExports, pydicomAffine, TOTALSEG_TO_SYNAPSE } from '../../test-support/label-export.js';
import { REPO_ROOT, TOTALSEG } from '../../test-support/paths.js';
import { pythonJson } from '../../test-support/python.js';
import { referenceOnGrid } from '../../test-support/synapse.js';
import { runHsam } from '../../test-support/cli.js';
import { segAgainstNifti } from '../../test-support/seg-against-nifti.js';
import type { LabelExportResult } from '../../common/contract/learning.js';
import { encodeNiftiFile } from '../services/imaging/nifti-write.js';
import { readVolume } from '../services/imaging/read-volume.js';
import type { Mat3, Volume } from '../services/imaging/volume.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const SERIES = join(TOTALSEG, 'example_ct_dicom');
const SAMPLE = join(REPO_ROOT, 'resources', 'sample', 'example_ct_sm.nii.gz');
/** How the exports name the shipped demo: its card's name and version. */
const demoCard = JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8')) as { name: string; version: string };
const MODEL = `${demoCard.name} ${demoCard.version}`;
/** The demo model's classes as the bundled label schema names them (the DICOM SEG's Segment Labels). */
const NAMES: Readonly<Record<number, string>> = {
  1: 'Spleen',
  2: 'Right kidney',
  3: 'Left kidney',
  4: 'Gallbladder',
  5: 'Liver',
  6: 'Stomach',
  7: 'Aorta',
  8: 'Pancreas',
};

type Summary = LabelExportResult & { output: string };

async function hsam(args: string[]): Promise<{ code: number; json: Summary | null; err: string }> {
  const { code, out, err } = await runHsam(args);
  return { code, json: out ? (JSON.parse(out) as Summary) : null, err };
}

const exportArgs = (labels: string, format: string, out: string, provenance: string, volume = SERIES): string[] =>
  ['export', volume, '--labels', labels, '--format', format, '--out', out, '--model', DEMO, '--provenance', provenance];

/** Voxels per label value, 0 left out. */
function counts(labels: ArrayLike<number>): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (v !== 0) out[v] = (out[v] ?? 0) + 1;
  }
  return out;
}

/** `counts` keyed by the segment names the export summary gives each value. */
const byName = (c: Record<number, number>): Record<string, number> => Object.fromEntries(Object.entries(c).map(([v, n]) => [NAMES[Number(v)]!, n]));

interface PydicomSegment {
  label: string;
  algorithmType: string;
  algorithmName: string | null;
  voxels: number;
}

/** pydicom's reading of DICOM SEG files: SOP class and, per segment, provenance and set pixels over all its frames. */
function pydicomSegs(paths: string[]): { sop: string; segments: PydicomSegment[] }[] {
  return pythonJson(
    String.raw`
import json, sys
import numpy as np
import pydicom
out = []
for path in json.load(sys.stdin):
    ds = pydicom.dcmread(path)
    px = np.asarray(ds.pixel_array).reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    voxels = {}
    for frame, group in zip(px, ds.PerFrameFunctionalGroupsSequence):
        n = int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        voxels[n] = voxels.get(n, 0) + int(np.count_nonzero(frame))
    out.append(dict(sop=str(ds.SOPClassUID), segments=[dict(label=str(s.SegmentLabel), algorithmType=str(s.SegmentAlgorithmType),
        algorithmName=str(s.SegmentAlgorithmName) if 'SegmentAlgorithmName' in s else None,
        voxels=voxels.get(int(s.SegmentNumber), 0)) for s in ds.SegmentSequence]))
print(json.dumps(out))`,
    paths,
  );
}

/** nibabel's affine of a NIfTI file and the SHA-256 of its voxels in file order (i fastest). */
function nib(paths: string[]): { affine: number[][]; shape: number[]; dtype: string; sha256: string }[] {
  return pythonJson(
    String.raw`
import json, sys, hashlib
import numpy as np, nibabel as nib
out = []
for path in json.load(sys.stdin):
    img = nib.load(path)
    d = np.asanyarray(img.dataobj)
    out.append(dict(affine=img.affine.tolist(), shape=list(d.shape), dtype=str(d.dtype),
                    sha256=hashlib.sha256(np.asfortranarray(d).tobytes(order='F')).hexdigest()))
print(json.dumps(out))`,
    paths,
  );
}

/** A label map on `g`'s grid as a .nii.gz written by our writer (what a user brings as --labels). */
function writeLabels(path: string, g: Volume, voxels: Uint8Array, direction: Mat3 = g.direction): string {
  writeFileSync(path, encodeNiftiFile(path, { dims: g.dims, spacing: g.spacing, origin: g.origin, direction, voxelType: 'uint8', voxels }));
  return path;
}

describe('hsam export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hsam-export-cli-'));
  const segmented = join(dir, 'series.labels.nii.gz');
  const reference = join(dir, 'reference.labels.nii.gz');
  let series: Volume;
  let referenceLabels: Uint8Array;
  /** The series' RAS affine from its DICOM headers alone (pydicom). */
  let sourceAffine: number[][];

  beforeAll(async () => {
    const seg = await hsam(['segment', SERIES, '--out', segmented, '--model', DEMO, '--device', 'cpu']);
    expect([seg.code, seg.err]).toEqual([0, '']);
    series = await readVolume(SERIES);
    const total = await readVolume(join(TOTALSEG, 'example_seg_dicom.nii.gz'));
    referenceLabels = referenceOnGrid(series, total);
    writeLabels(reference, series, referenceLabels);
    sourceAffine = pydicomAffine(SERIES);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes hsam segment's labels in every format, as the model's untouched output", async () => {
    const proposed = counts((await readVolume(segmented)).voxels);
    expect(Object.keys(proposed).length).toBeGreaterThan(3);
    const files = { nifti: join(dir, 'auto-labels.nii.gz'), 'seg-nrrd': join(dir, 'auto.seg.nrrd'), 'dicom-seg': join(dir, 'auto.seg.dcm') };
    const summaries: Record<string, Summary> = {};
    for (const [format, out] of Object.entries(files)) {
      const r = await hsam(exportArgs(segmented, format, out, 'auto'));
      expect([r.code, r.err]).toEqual([0, '']);
      summaries[format] = r.json!;
      expect(r.json).toMatchObject({ format, output: out, verified: expect.stringMatching(/\S/) as unknown });
      expect(r.json!.segments).toEqual(
        Object.keys(proposed).map((v) => ({ labelValue: Number(v), name: NAMES[Number(v)], algorithmType: 'AUTOMATIC' })),
      );
      expect(r.json!.files.every((f) => f.bytes > 0)).toBe(true);
    }
    expect(summaries['nifti']!.files.map((f) => f.name)).toEqual(['auto-labels.nii.gz', 'auto-labels.label.txt']);
    expect(summaries['seg-nrrd']!.files.map((f) => f.name)).toEqual(['auto.seg.nrrd']);
    expect(summaries['dicom-seg']!.files.map((f) => f.name)).toEqual(['auto.seg.dcm']);
    expect(summaries['dicom-seg']!.verified).toMatch(/read back identical/);
    // The shared series is anonymised: the SEG says which identifiers it had to derive.
    expect(summaries['dicom-seg']!.warnings.map((w) => /no (Study|Series) Instance UID/.exec(w)?.[0])).toEqual(['no Study Instance UID', 'no Series Instance UID']);
    expect([summaries['nifti']!.warnings, summaries['seg-nrrd']!.warnings]).toEqual([[], []]);

    // nibabel: the labels unchanged, in the series' own geometry as pydicom computes it.
    const [written, input] = nib([files.nifti, segmented]);
    expect(written!.shape).toEqual([512, 512, 20]);
    expect(written!.dtype).toBe('uint8');
    expect(written!.sha256).toBe(input!.sha256);
    expect(affineCornerDistance(written!.affine, sourceAffine, [512, 512, 20])).toBeLessThan(0.01);

    const nrrd = inspectExports({ segNrrd: files['seg-nrrd'] }).segNrrd!;
    expect(nrrd.sizes).toEqual([512, 512, 20]);
    expect(affineCornerDistance(nrrd.affine, sourceAffine, [512, 512, 20])).toBeLessThan(0.01);
    expect(Object.keys(nrrd.boxes).map(Number)).toEqual(Object.keys(proposed).map(Number));

    const [dcm] = pydicomSegs([files['dicom-seg']]);
    expect(dcm!.sop).toBe('1.2.840.10008.5.1.4.1.1.66.4');
    expect(dcm!.segments.map((s) => [s.algorithmType, s.algorithmName])).toEqual(dcm!.segments.map(() => ['AUTOMATIC', MODEL]));
    expect(Object.fromEntries(dcm!.segments.map((s) => [s.label, s.voxels]))).toEqual(byName(proposed));
  });

  it('exports reference labels as corrected (SEMIAUTOMATIC) or manual (MANUAL, no algorithm) work', async () => {
    const expected = counts(referenceLabels);
    // The series is the upper abdomen: spleen, liver, stomach, aorta and pancreas are in it.
    expect(Object.keys(expected).map(Number)).toEqual([1, 5, 6, 7, 8]);
    const n = 5;
    const corrected = await hsam(exportArgs(reference, 'dicom-seg', join(dir, 'corrected.seg.dcm'), 'corrected'));
    const manual = await hsam(exportArgs(reference, 'dicom-seg', join(dir, 'manual.seg.dcm'), 'manual'));
    const nifti = await hsam(exportArgs(reference, 'nifti', join(dir, 'manual-labels.nii.gz'), 'manual'));
    for (const r of [corrected, manual, nifti]) expect([r.code, r.err]).toEqual([0, '']);
    expect(corrected.json!.segments.map((s) => s.algorithmType)).toEqual(Array(n).fill('SEMIAUTOMATIC'));
    expect(manual.json!.segments.map((s) => s.algorithmType)).toEqual(Array(n).fill('MANUAL'));
    expect(nifti.json!.segments.map((s) => s.algorithmType)).toEqual(Array(n).fill('MANUAL'));

    const [c, m] = pydicomSegs([join(dir, 'corrected.seg.dcm'), join(dir, 'manual.seg.dcm')]);
    expect(c!.segments.map((s) => [s.algorithmType, s.algorithmName])).toEqual(Array(n).fill(['SEMIAUTOMATIC', MODEL]));
    expect(m!.segments.map((s) => [s.algorithmType, s.algorithmName])).toEqual(Array(n).fill(['MANUAL', null]));
    for (const seg of [c!, m!]) expect(Object.fromEntries(seg.segments.map((s) => [s.label, s.voxels]))).toEqual(byName(expected));

    // nibabel puts TotalSegmentator's own labels on the written file's grid through the affines
    // alone: every voxel agrees, and the affine is the series'.
    const view = inspectExports({ seg: join(TOTALSEG, 'example_seg_dicom.nii.gz'), mapping: TOTALSEG_TO_SYNAPSE, nifti: join(dir, 'manual-labels.nii.gz') }).nifti!;
    expect(view.mismatches).toBe(0);
    expect(affineCornerDistance(view.sform, sourceAffine, [512, 512, 20])).toBeLessThan(0.01);
  });

  describe('labels on the series lattice in another voxel order', () => {
    const REORDERED = "The labels were stored in another voxel order (axes permuted or flipped) than the volume; they were put back in the volume's order.";

    it('i and j swapped: put back in the series order, same voxels', async () => {
      const [ni, nj, nk] = series.dims;
      const transposed = new Uint8Array(referenceLabels.length);
      for (let k = 0; k < nk; k++) for (let j = 0; j < nj; j++) for (let i = 0; i < ni; i++) transposed[k * ni * nj + i * nj + j] = referenceLabels[k * ni * nj + j * ni + i]!;
      const d = series.direction;
      const swapped: Mat3 = [d[1], d[0], d[2], d[4], d[3], d[5], d[7], d[6], d[8]];
      const path = writeLabels(join(dir, 'transposed.nii.gz'), series, transposed, swapped);
      const r = await hsam(exportArgs(path, 'nifti', join(dir, 'transposed-out.nii.gz'), 'auto'));
      expect(r.code, r.err).toBe(0);
      expect(r.json!.warnings).toContain(REORDERED);
      const back = await readVolume(join(dir, 'transposed-out.nii.gz'));
      expect(Buffer.compare(Buffer.from(Uint8Array.from(back.voxels)), Buffer.from(referenceLabels))).toBe(0);
    });

    it("TotalSegmentator's labels (rows reversed, as dcm2niix writes) with its class table: a DICOM SEG of the source images that passes dciodvfy", async () => {
      const out = join(dir, 'totalseg.seg.dcm');
      const labels = join(TOTALSEG, 'example_seg_dicom.nii.gz');
      const r = await hsam(['export', SERIES, '--labels', labels, '--classes', join(TOTALSEG, 'totalsegmentator_classes.json'), '--algorithm', 'TotalSegmentator', '--format', 'dicom-seg', '--out', out, '--provenance', 'auto']);
      expect(r.code, r.err).toBe(0);
      expect(r.json!.warnings).toContain(REORDERED);
      expect(r.json!.segments).toHaveLength(31);
      expect(new Set(r.json!.segments.map((s) => s.algorithmType))).toEqual(new Set(['AUTOMATIC']));
      const v = spawnSync('dciodvfy', [out], { encoding: 'utf8' });
      expect(`${v.stdout}\n${v.stderr}`.split('\n').filter((l) => l.startsWith('Error'))).toEqual([]);
      // pydicom + nibabel: every frame's pixels equal TotalSegmentator's labels at its source image.
      expect(segAgainstNifti(out, SERIES, labels)).toEqual({ segments: 31, frames: 520, referenced: 20, sources: 20, mismatched: 0, labelled: 739_420 });
    }, 120_000);

    it('the NIfTI CT with TotalSegmentator labels and a table picked by key', async () => {
      const out = join(dir, 'totalseg-sm.nii.gz');
      const r = await hsam(['export', join(TOTALSEG, 'example_ct_sm.nii.gz'), '--labels', join(TOTALSEG, 'example_seg.nii.gz'), '--classes', `${join(TOTALSEG, 'totalsegmentator_classes.json')}#total`, '--format', 'nifti', '--out', out]);
      expect(r.code, r.err).toBe(0);
      expect(r.json!.segments).toHaveLength(41);
      const bad = await hsam(['export', join(TOTALSEG, 'example_ct_sm.nii.gz'), '--labels', join(TOTALSEG, 'example_seg.nii.gz'), '--classes', `${join(TOTALSEG, 'totalsegmentator_classes.json')}#ct`, '--format', 'nifti', '--out', join(dir, 'x9.nii.gz')]);
      expect(bad).toEqual({ code: 1, json: null, err: `hsam: The class table ${join(TOTALSEG, 'totalsegmentator_classes.json')} has no table "ct" (it has total, total_mr).\n` });
    });
  });

  describe('refuses, exit 1 and nothing written', () => {
    const refused = async (args: string[], message: string): Promise<void> => {
      const out = args[args.indexOf('--out') + 1]!;
      expect(await hsam(args)).toEqual({ code: 1, json: null, err: `hsam: ${message}\n` });
      expect(existsSync(out)).toBe(false);
    };

    it('labels of another grid: the NIfTI CT’s labels for the DICOM series', () =>
      refused(
        exportArgs(join(TOTALSEG, 'example_seg.nii.gz'), 'nifti', join(dir, 'x1.nii.gz'), 'auto'),
        'The labels (122×101×30 voxels of 3.000×3.000×3.000 mm from 178.0, -11.3, 94.3; x -186.5…179.5, y -312.8…-9.8, z 92.8…182.8 mm) do not overlap the volume (512×512×20 voxels of 0.977×0.977×2.000 mm from -249.5, -437.5, -804.5; x -250.0…250.0, y -438.0…62.0, z -805.5…-765.5 mm) anywhere. They do not label this volume.',
      ));

    it('a label value the model does not name', async () => {
      const labels = referenceLabels.slice();
      labels[12345] = 9;
      labels[54321] = 200;
      const path = writeLabels(join(dir, 'value9.nii.gz'), series, labels);
      await refused(
        exportArgs(path, 'seg-nrrd', join(dir, 'x4.seg.nrrd'), 'corrected'),
        `The labels hold value 9, which model ${MODEL} does not name (it has 8 classes).`,
      );
    });

    it('a DICOM SEG for a NIfTI volume', async () => {
      const labels = join(dir, 'sample.labels.nii.gz');
      expect((await hsam(['segment', SAMPLE, '--out', labels, '--model', DEMO, '--device', 'cpu'])).code).toBe(0);
      await refused(
        exportArgs(labels, 'dicom-seg', join(dir, 'x5.seg.dcm'), 'auto', SAMPLE),
        'example_ct_sm.nii.gz was not read from DICOM images, so a DICOM SEG would have no source images to reference: give the DICOM folder of the series, or use --format nifti or seg-nrrd.',
      );
      // The same labels export as NIfTI beside their volume.
      const ok = await hsam(exportArgs(labels, 'nifti', join(dir, 'sample-labels.nii.gz'), 'auto', SAMPLE));
      expect([ok.code, ok.err]).toEqual([0, '']);
    });

    it('a model folder that is not one', () =>
      refused(
        ['export', SERIES, '--labels', reference, '--format', 'nifti', '--out', join(dir, 'x6.nii.gz'), '--model', join(dir, 'nope')],
        'Model folder nope not found; choose the folder that holds model.json.',
      ));

    // Like segment's --device and finetune's --device: a value commander accepted but the command
    // does not know is refused by the action (exit 1); commander's own usage errors exit 2.
    it('an unknown --format or --provenance', async () => {
      await refused(
        exportArgs(reference, 'png', join(dir, 'x7.png'), 'auto'),
        '--format must be one of nifti, seg-nrrd, dicom-seg, not "png".',
      );
      await refused(
        exportArgs(reference, 'nifti', join(dir, 'x8.nii.gz'), 'guessed'),
        '--provenance must be auto, corrected or manual, not "guessed".',
      );
    });
  });

  it('usage errors exit 2: a missing --labels', async () => {
    const r = await hsam(['export', SERIES, '--format', 'nifti', '--out', join(dir, 'x9.nii.gz')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("required option '--labels <file>' not specified");
  });
});
