/**
 * `hsam segment` end to end with the shipped demo model: labels written in the input's geometry
 * (checked with nibabel), identical to what the app's API returns for the same volume, and a
 * resumable batch over a folder of studies.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../common/contract/result.js';
import type { LabelState } from '../../common/contract/segmentation.js';
import type { OpenedStudy } from '../../common/contract/api.js';
import { REPO_ROOT, TOTALSEG } from '../../test-support/paths.js';
import { pythonJson } from '../../test-support/python.js';
import { createWorkstation } from '../services/workstation.js';
import { runHsam } from '../../test-support/cli.js';
import { DEMO_LABEL, DEMO_VERSION } from '../../test-support/demo-model.js';

const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const SAMPLE = join(REPO_ROOT, 'resources', 'sample', 'example_ct_sm.nii.gz');

async function cli(args: string[]): Promise<{ code: number; json: Record<string, unknown>; err: string }> {
  const { code, out, err } = await runHsam(args);
  return { code, json: out ? (JSON.parse(out) as Record<string, unknown>) : {}, err };
}

/** nibabel's affine, shape and the SHA-256 of the label bytes of a NIfTI file. */
function nib(path: string): { affine: number[][]; shape: number[]; sha256: string; dtype: string } {
  return pythonJson(
    String.raw`
import json, sys, hashlib
import numpy as np, nibabel as nib
img = nib.load(json.load(sys.stdin))
d = np.asanyarray(img.dataobj)
print(json.dumps(dict(affine=img.affine.tolist(), shape=list(d.shape), dtype=str(d.dtype),
                      sha256=hashlib.sha256(np.ascontiguousarray(d.transpose(2, 1, 0)).tobytes()).hexdigest())))`,
    path,
  );
}

describe('hsam segment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hsam-segment-cli-'));

  it('writes labels in the input geometry, the same labels the app’s API gives', async () => {
    const out = join(dir, 'sample.labels.nii.gz');
    const r = await cli(['segment', SAMPLE, '--out', out, '--model', DEMO, '--device', 'cpu']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      model: { name: 'hsam-tiny-demo', version: DEMO_VERSION, provider: 'cpu', precision: 'int8' },
      status: 'done',
      slices: 30,
      completed: 30,
      cancelled: false,
    });
    expect(r.json['uncertainty']).toHaveLength(30);

    const written = nib(out);
    const source = nib(SAMPLE);
    expect(written.shape).toEqual(source.shape);
    expect(written.dtype).toBe('uint8');
    written.affine.flat().forEach((x, i) => expect(x).toBeCloseTo(source.affine.flat()[i]!, 3));

    // The app's path: the same handler table, as the window calls it.
    const ws = createWorkstation({
      version: 't',
      emit: () => {},
      dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
      sessionsDir: mkdtempSync(join(tmpdir(), 'hsam-api-')),
    });
    const ok = <T>(x: Result<unknown>): T => {
      if (!x.ok) throw new Error(x.error.message);
      return x.value as T;
    };
    ok(await ws.dispatch('model.load', { fileId: ws.files.grant(DEMO, 'dialog').fileId, device: 'cpu' }));
    const meta = ok<OpenedStudy>(await ws.dispatch('volume.open', { fileId: ws.files.grant(SAMPLE, 'dialog').fileId })).meta;
    ok(await ws.dispatch('segment.start', { volumeId: meta.volumeId, batch: 3 }));
    const state = ok<LabelState>(await ws.dispatch('labels.get', { volumeId: meta.volumeId }));
    await ws.dispose();
    expect(createHash('sha256').update(state.labels).digest('hex')).toBe(written.sha256);
  });

  it('a folder of studies: every series and volume file, resumable, with a clear failure for non-CT', async () => {
    const studies = join(dir, 'studies');
    mkdirSync(studies);
    cpSync(join(TOTALSEG, 'example_ct_dicom'), join(studies, 'patient-a'), { recursive: true });
    cpSync(SAMPLE, join(studies, 'patient-b.nii.gz'));
    cpSync(join(TOTALSEG, 'example_mr_sm.nii.gz'), join(studies, 'patient-c-mr.nii.gz'));
    const out = join(dir, 'labels');
    const first = await cli(['segment', studies, '--out', out, '--model', DEMO]);
    // The MR study fails: the others are done, and the exit status says that something failed.
    expect(first.code).toBe(1);
    expect(first.err).toBe('hsam: 1 of 3 studies failed (their "error" is in the summary above); the others are done.\n');
    const rows = first.json['studies'] as { input: string; output: string; status: string; error?: string }[];
    expect(rows.map((s) => s.status)).toEqual(['done', 'done', 'failed']);
    expect(rows[2]?.error).toBe(
      `The file does not say its modality and its values do not look like CT in Hounsfield units; model ${DEMO_LABEL} supports CT.`,
    );
    expect(nib(rows[0]!.output).shape).toEqual([512, 512, 20]);
    expect(readFileSync(rows[1]!.output).length).toBeGreaterThan(100);

    const again = await cli(['segment', studies, '--out', out, '--model', DEMO]);
    expect((again.json['studies'] as { status: string }[]).map((s) => s.status)).toEqual(['skipped', 'skipped', 'failed']);
  });

  it('bad input: a missing model, an unknown device', async () => {
    const noModel = await cli(['segment', SAMPLE, '--out', join(dir, 'x.nii.gz'), '--model', join(dir, 'nope')]);
    expect(noModel).toEqual({ code: 1, json: {}, err: 'hsam: Model folder nope not found; choose the folder that holds model.json.\n' });
    const device = await cli(['segment', SAMPLE, '--out', join(dir, 'x.nii.gz'), '--device', 'tpu']);
    expect(device.err).toBe('hsam: --device must be auto, cpu or gpu, not "tpu".\n');
  });
});
