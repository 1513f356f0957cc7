/**
 * The learning loop end to end through the API, as the app drives it: pre-segment a study the
 * model never saw with a demo model trained on one patient only (LOOP_MODEL), take k slices' reference labels as the annotator's
 * corrections (painted and marked reviewed), add them to the training set, fine-tune, switch to
 * the new version, re-segment, and measure Dice on the other slices before and after. Used by
 * the closed-loop test (few steps) and by `npm run bench -- loop` (the table the issue asks for).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FolderScan } from '../common/contract/dicom.js';
import type { FinetuneResult, ModelRegistryState, ReviewSuggestion, TrainingExportResult } from '../common/contract/learning.js';
import type { LabelState, ModelStatus } from '../common/contract/segmentation.js';
import type { OpenedStudy } from '../common/contract/api.js';
import { readVolume } from '../electron/services/imaging/read-volume.js';
import { createWorkstation } from '../electron/services/workstation.js';
import { REPO_ROOT, TOTALSEG } from './paths.js';
import { dicePerClass, meanOf, referenceOnGrid } from './synapse.js';
import { callApi } from './dispatch.js';

/**
 * The loop's starting model: demo 0.2.0, trained on example_ct_sm only (a test fixture, not
 * shipped). The shipped demo (models/demo) saw both labelled patients, so it has no unseen
 * patient to close the loop on.
 */
export const LOOP_MODEL = join(REPO_ROOT, 'native-models', 'fixtures', 'models', 'demo-ct-sm');
/** The unseen study: the JPEG 2000 DICOM series (LOOP_MODEL never saw it). */
export const LOOP_STUDY = join(TOTALSEG, 'example_ct_dicom');
export const LOOP_REFERENCE = join(TOTALSEG, 'example_seg_dicom.nii.gz');

export interface LoopOptions {
  readonly k: number;
  readonly steps: number;
  /** Which slices the annotator corrects: spread evenly, or the model's most uncertain first. */
  readonly pick: 'even' | 'uncertain';
}

export interface LoopResult {
  readonly k: number;
  readonly corrected: readonly number[];
  readonly evaluated: readonly number[];
  readonly before: Record<string, number>;
  readonly after: Record<string, number>;
  readonly meanBefore: number;
  readonly meanAfter: number;
  readonly finetune: FinetuneResult;
  readonly training: TrainingExportResult;
  readonly progressEvents: number;
}


const evenly = (n: number, k: number): number[] => Array.from({ length: k }, (_, i) => Math.floor(((i + 0.5) * n) / k));

export async function closedLoop(o: LoopOptions): Promise<LoopResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hsam-loop-'));
  let progressEvents = 0;
  const ws = createWorkstation({
    version: 'closed-loop',
    emit: (event) => {
      if (event === 'finetuneProgress') progressEvents++;
    },
    dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
    defaultModelDir: LOOP_MODEL,
    sessionsDir: join(dataDir, 'sessions'),
    dataDir,
    labelSchemasDir: join(REPO_ROOT, 'resources', 'label-schemas'),
    trainerScript: join(REPO_ROOT, 'native-models', 'hsam.py'),
  });
  try {
    const startup = await callApi<{ defaultModel: { fileId: string } }>(ws, 'app.getStartup', {});
    const model = await callApi<ModelStatus>(ws, 'model.load', { fileId: startup.defaultModel.fileId, device: 'cpu' });
    const scan = await callApi<FolderScan>(ws, 'dicom.scanFolder', { fileId: ws.files.grant(LOOP_STUDY, 'dialog').fileId });
    const meta = (await callApi<OpenedStudy>(ws, 'dicom.openSeries', { scanId: scan.scanId, seriesId: scan.series[0]!.seriesId })).meta;
    const volumeId = meta.volumeId;
    const reference = referenceOnGrid(meta, await readVolume(LOOP_REFERENCE));
    await callApi(ws, 'segment.start', { volumeId });

    const nz = meta.dims[2];
    let corrected: number[];
    if (o.pick === 'even') corrected = evenly(nz, o.k);
    else {
      corrected = [];
      // Active learning: correct the slice the model is least sure of, then ask again.
      for (let n = 0; n < o.k; n++) {
        const next = await callApi<ReviewSuggestion | null>(ws, 'review.next', { volumeId });
        if (!next) break;
        corrected.push(next.slice);
        await callApi(ws, 'labels.setSliceStatus', { volumeId, slices: [next.slice], status: 'reviewed' });
      }
    }
    const evaluated = [...Array(nz).keys()].filter((z) => !corrected.includes(z));
    const proposal = await callApi<LabelState>(ws, 'labels.get', { volumeId });
    const before = dicePerClass(proposal.labels, reference, meta.dims, evaluated, model.classes);

    // The annotator's corrections: every voxel of the slice set to the reference, one stroke per class.
    const per = meta.dims[0] * meta.dims[1];
    for (const z of corrected) {
      for (let c = 0; c < model.classes.length; c++) {
        const idx: number[] = [];
        for (let i = z * per; i < (z + 1) * per; i++) if (reference[i] === c && proposal.labels[i] !== c) idx.push(i);
        if (idx.length > 0) await callApi(ws, 'labels.paint', { volumeId, indices: Uint32Array.from(idx), value: c });
      }
    }
    await callApi(ws, 'labels.setSliceStatus', { volumeId, slices: corrected, status: 'reviewed' });
    const training = await callApi<TrainingExportResult>(ws, 'export.trainingSlices', { volumeId });
    const finetune = await callApi<FinetuneResult>(ws, 'finetune.start', { steps: o.steps });
    await callApi<ModelStatus>(ws, 'models.activate', { versionId: finetune.version.id });
    const registry = await callApi<ModelRegistryState>(ws, 'models.list', {});
    if (!registry.versions.find((v) => v.id === finetune.version.id)?.active) throw new Error('the new version is not active');
    await callApi(ws, 'segment.start', { volumeId });
    const final = await callApi<LabelState>(ws, 'labels.get', { volumeId });
    const after = dicePerClass(final.labels, reference, meta.dims, evaluated, model.classes);
    return { k: o.k, corrected, evaluated, before, after, meanBefore: meanOf(before), meanAfter: meanOf(after), finetune, training, progressEvents };
  } finally {
    await ws.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
