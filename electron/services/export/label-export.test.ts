/**
 * Exports from the app's handler table: the shared DICOM series segmented by the demo model,
 * corrected by hand, then saved in every format through the save dialog port; each segment's
 * algorithm type follows its provenance, and pydicom reads the DICOM SEG back.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FolderScan } from '../../../common/contract/dicom.js';
import type { LabelExportResult } from '../../../common/contract/learning.js';
import type { LabelState } from '../../../common/contract/segmentation.js';
import type { OpenedStudy } from '../../../common/contract/api.js';
import type { VolumeMeta } from '../../../common/contract/volume.js';
import { REPO_ROOT, TOTALSEG } from '../../../test-support/paths.js';
import { pythonJson } from '../../../test-support/python.js';
import type { Workstation } from '../workstation.js';
import { demoWorkstation } from '../../../test-support/demo-workstation.js';
import { callApi } from '../../../test-support/dispatch.js';

const out = mkdtempSync(join(tmpdir(), 'hsam-export-'));
const answers: (string | null)[] = [];
let ws: Workstation;
let meta: VolumeMeta;

const call = <T>(channel: string, arg: unknown): Promise<T> => callApi<T>(ws, channel, arg);

beforeAll(async () => {
  ws = await demoWorkstation({
    dialogs: {
      chooseVolumeFile: () => Promise.resolve(null),
      chooseFolder: () => Promise.resolve(null),
      chooseSavePath: () => Promise.resolve(answers.shift() ?? null),
    },
    sessionsDir: join(out, 'sessions'),
    labelSchemasDir: join(REPO_ROOT, 'resources', 'label-schemas'),
  });
  const scan = await call<FolderScan>('dicom.scanFolder', { fileId: ws.files.grant(join(TOTALSEG, 'example_ct_dicom'), 'dialog').fileId });
  meta = (await call<OpenedStudy>('dicom.openSeries', { scanId: scan.scanId, seriesId: scan.series[0]!.seriesId })).meta;
  await call('segment.start', { volumeId: meta.volumeId });
  const state = await call<LabelState>('labels.get', { volumeId: meta.volumeId });
  // Correct the liver by erasing a few of its voxels; draw class 4 (gallbladder) from scratch
  // where the model proposed background.
  const liver = [...state.labels.keys()].filter((i) => state.labels[i] === 5).slice(0, 50);
  await call('labels.paint', { volumeId: meta.volumeId, indices: Uint32Array.from(liver), value: 0 });
  const { source } = (await ws.studies.get(meta.volumeId)).session;
  const empty = [...state.labels.keys()].filter((i) => state.labels[i] === 0 && source[i] === 0).slice(0, 40);
  const background = empty.length > 0 ? empty : [...state.labels.keys()].filter((i) => state.labels[i] === 0).slice(0, 40);
  await call('labels.paint', { volumeId: meta.volumeId, indices: Uint32Array.from(background), value: 4 });
}, 120_000);
afterAll(() => ws.dispose());

describe('label export from the app', () => {
  it('writes every format where the user chose, with provenance per segment', async () => {
    const results: Record<string, LabelExportResult> = {};
    for (const [format, name] of [
      ['nifti', 'ct-labels.nii.gz'],
      ['seg-nrrd', 'ct.seg.nrrd'],
      ['dicom-seg', 'ct.seg.dcm'],
    ] as const) {
      answers.push(join(out, name));
      results[format] = await call<LabelExportResult>('export.labels', { volumeId: meta.volumeId, format });
      expect(existsSync(join(out, name))).toBe(true);
    }
    expect(results['nifti']!.files.map((f) => f.name)).toEqual(['ct-labels.nii.gz', 'ct-labels.label.txt']);
    const types = Object.fromEntries(results['dicom-seg']!.segments.map((s) => [s.name, s.algorithmType]));
    expect(types).toMatchObject({ Liver: 'SEMIAUTOMATIC', Gallbladder: 'MANUAL', Spleen: 'AUTOMATIC' });
    expect(results['dicom-seg']!.verified).toMatch(/read back identical/);

    const seg = pythonJson<{ segments: [string, string, string | null][]; frames: number; sop: string }>(
      `
import json, sys, pydicom
ds = pydicom.dcmread(json.load(sys.stdin))
print(json.dumps({"segments": [[s.SegmentLabel, s.SegmentAlgorithmType, getattr(s, "SegmentAlgorithmName", None)] for s in ds.SegmentSequence],
  "frames": int(ds.NumberOfFrames), "sop": ds.SOPClassUID}))
`,
      join(out, 'ct.seg.dcm'),
    );
    expect(seg.sop).toBe('1.2.840.10008.5.1.4.1.1.66.4');
    const byName = Object.fromEntries(seg.segments.map(([n, t, a]) => [n, [t, a]]));
    expect(byName['Liver']).toEqual(['SEMIAUTOMATIC', 'hsam-tiny-demo ' + (await call<{ version: string }>('model.status', {})).version]);
    expect(byName['Gallbladder']).toEqual(['MANUAL', null]);
  });

  it('a cancelled save dialog writes nothing and says so', async () => {
    const r = await ws.dispatch('export.labels', { volumeId: meta.volumeId, format: 'nifti' });
    expect(r).toEqual({ ok: false, error: { code: 'cancelled', message: 'No file was chosen; nothing was exported.' } });
  });

  it('writes a DICOM SEG as LABELMAP when asked, and refuses a segmentation type for other formats', async () => {
    answers.push(join(out, 'ct-labelmap.seg.dcm'));
    await call<LabelExportResult>('export.labels', { volumeId: meta.volumeId, format: 'dicom-seg', segType: 'labelmap' });
    const sop = pythonJson<[string, string]>(
      `
import json, sys, pydicom
ds = pydicom.dcmread(json.load(sys.stdin))
print(json.dumps([ds.SOPClassUID, ds.SegmentationType]))
`,
      join(out, 'ct-labelmap.seg.dcm'),
    );
    expect(sop).toEqual(['1.2.840.10008.5.1.4.1.1.66.7', 'LABELMAP']);
    // Refused before the save dialog opens (a dialog here would answer null: "cancelled").
    const r = await ws.dispatch('export.labels', { volumeId: meta.volumeId, format: 'nifti', segType: 'labelmap' });
    expect(r).toEqual({ ok: false, error: { code: 'invalid-argument', message: 'A segmentation type applies to DICOM SEG only.' } });
  });

  it('a DICOM SEG of a NIfTI study is refused with a way out', async () => {
    const nifti = (await call<OpenedStudy>('volume.open', { fileId: ws.files.grant(join(TOTALSEG, 'example_ct_sm.nii.gz'), 'dialog').fileId })).meta;
    await call('segment.start', { volumeId: nifti.volumeId });
    answers.push(join(out, 'sm.seg.dcm'));
    const r = await ws.dispatch('export.labels', { volumeId: nifti.volumeId, format: 'dicom-seg' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/was not opened from DICOM images.*export these labels as NIfTI or NRRD/);
    expect(existsSync(join(out, 'sm.seg.dcm'))).toBe(false);
  });
});
