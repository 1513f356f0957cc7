/**
 * Training-slice export: the slices an annotator marked corrected or reviewed become few-shot
 * fine-tuning slices in the format the H-SAM trainer reads (contract/training-set.ts). Each
 * slice is written as the model sees it — read in the card's orientation, windowed and scaled
 * by its preprocessing — with the human's final labels in the same frame.
 *
 * Invariants: exports of several studies accumulate into one set; a slice exported again
 * replaces its earlier file and row (newest labels win), never duplicates it; about every fifth
 * new slice is held out (val.txt) so the trainer can compare old and new model on slices it
 * did not train on, and a slice keeps its split once given. Every file is written atomically,
 * the manifest last. Rejected: a set for other classes or another modality, a model whose slice
 * axis is not the axis review status runs along, and nothing to export.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { ModelCard } from '../../../common/contract/model-card.js';
import type { ModelId } from '../../../common/contract/segmentation.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { TRAINSET_FORMAT, TrainingSetManifest, type TrainingSlice } from '../../../common/contract/training-set.js';
import type { Volume } from '../imaging/volume.js';
import { applyWindow, inferModality, preprocessingFor } from '../preprocessing/model-input.js';
import { readSlice, sliceFrame } from '../preprocessing/slice-frame.js';
import { Source } from '../labels/label-diff.js';
import { SliceStatus } from '../labels/step.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { encodeNpz } from './npz.js';

/** The labelled study a set is exported from: the image and its label session's state. */
export interface LabelledStudy {
  readonly volume: Volume;
  /** Stable id of the study (DICOM series UID, else a hash of its path); never a path itself. */
  readonly studyId: string;
  readonly studyName: string;
  readonly labels: Uint8Array;
  readonly source: Uint8Array;
  /** The model's proposal under human voxels (LabelSession.origin). */
  readonly origin: Uint8Array;
  readonly sliceStatus: Uint8Array;
  readonly statusAxis: 0 | 1 | 2;
  /** The model that last wrote slice z, or null. */
  modelOfSlice(z: number): ModelId | null;
}

export interface TrainingExportReport {
  readonly setDir: string;
  readonly setId: string;
  /** Slice indices (status axis) written by this export. */
  readonly slices: readonly number[];
  readonly added: number;
  readonly replaced: number;
  /** Slices in the set after this export, and how many of them are held out. */
  readonly total: number;
  readonly heldOut: number;
}

const HELD_OUT_EVERY = 5;

/** Serialize exports per set folder: two studies exported at once must not lose a row. */
const queues = new Map<string, Promise<unknown>>();

export function exportTrainingSlices(
  setDir: string,
  card: ModelCard,
  study: LabelledStudy,
  slices?: readonly number[],
): Promise<TrainingExportReport> {
  const prev = queues.get(setDir) ?? Promise.resolve();
  const run = prev.then(
    () => exportNow(setDir, card, study, slices),
    () => exportNow(setDir, card, study, slices),
  );
  queues.set(
    setDir,
    run.catch(() => undefined),
  );
  return run;
}

async function exportNow(setDir: string, card: ModelCard, study: LabelledStudy, only?: readonly number[]): Promise<TrainingExportReport> {
  const { volume } = study;
  const modality = inferModality(volume.modality, volume.voxels);
  const pre = preprocessingFor(card, modality);
  const frame = sliceFrame(volume, pre.orientation);
  if (frame.sliceAxis !== study.statusAxis) {
    throw new UserFacingError(
      'invalid-argument',
      `Model ${card.name} ${card.version} slices this volume along another axis than the one slices are reviewed on; its training slices cannot be exported.`,
    );
  }
  const wanted = only ?? [...study.sliceStatus.keys()].filter((z) => study.sliceStatus[z] === SliceStatus.corrected || study.sliceStatus[z] === SliceStatus.reviewed);
  if (wanted.length === 0) {
    throw new UserFacingError('invalid-argument', 'No slice is marked corrected or reviewed yet: correct a slice or mark it reviewed, then export.');
  }
  const bad = wanted.find((z) => z < 0 || z >= frame.depth);
  if (bad !== undefined) throw new UserFacingError('invalid-argument', `Slice ${bad} is outside the volume (${frame.depth} slices).`);

  await mkdir(setDir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new UserFacingError('unreadable', `Cannot create the training-set folder ${basename(setDir)}: ${e.message}`);
  });
  const classes = card.classes.map((c) => ({ index: c.index, name: c.name }));
  const existing = await readSet(setDir);
  if (existing) {
    const theirs = existing.manifest.classes.map((c) => c.name).join(', ');
    if (theirs !== classes.map((c) => c.name).join(', ')) {
      throw new UserFacingError('invalid-argument', `The training set in ${basename(setDir)} is for the classes ${theirs}; model ${card.name} has ${classes.map((c) => c.name).join(', ')}.`);
    }
    if (existing.manifest.modality !== modality) {
      throw new UserFacingError('invalid-argument', `The training set in ${basename(setDir)} holds ${existing.manifest.modality} slices; this study is ${String(modality)}.`);
    }
  }
  const manifest = existing?.manifest ?? { format: TRAINSET_FORMAT, id: randomUUID(), created: new Date().toISOString(), modality: modality ?? 'unknown', classes, slices: [] };
  const rows: TrainingSlice[] = [...manifest.slices];
  const val = new Set(existing?.val ?? []);
  const filePrefix = `s${createHash('sha256').update(study.studyId).digest('hex').slice(0, 12)}`;
  const time = new Date().toISOString();
  const pixels = frame.width * frame.height;
  const image = new Float32Array(pixels);
  const labelF = new Float32Array(pixels);
  const sourceF = new Float32Array(pixels);
  const originF = new Float32Array(pixels);
  let added = 0;
  let replaced = 0;

  for (const z of [...wanted].sort((a, b) => a - b)) {
    readSlice(frame, volume.voxels, z, image);
    applyWindow(image, pre);
    readSlice(frame, study.labels, z, labelF);
    readSlice(frame, study.source, z, sourceF);
    readSlice(frame, study.origin, z, originF);
    // The annotator's own labels (above the model's classes) are not the model's to learn: background.
    const label = Uint8Array.from(labelF, (v) => (v < classes.length ? v : 0));
    // Corrected classes: what a human changed, to or away from (an erase names the erased class).
    const corrected = new Set<number>();
    sourceF.forEach((s, p) => {
      if (s !== Source.human || originF[p] === labelF[p]) return;
      corrected.add(labelF[p]!).add(originF[p]!);
    });
    const file = `${filePrefix}_z${String(z).padStart(4, '0')}.npz`;
    await writeFileAtomic(join(setDir, file), [
      encodeNpz({ image: { dtype: 'float32', data: image, shape: [frame.height, frame.width] }, label: { dtype: 'uint8', data: label, shape: [frame.height, frame.width] } }),
    ]);
    const proposer = study.modelOfSlice(z);
    const row: TrainingSlice = {
      file,
      study: study.studyId,
      studyName: study.studyName,
      sliceIndex: z,
      proposedBy: proposer && { name: proposer.name, version: proposer.version },
      time,
      correctedClasses: [...corrected].sort((a, b) => a - b),
      status: study.sliceStatus[z] === SliceStatus.reviewed ? 'reviewed' : 'corrected',
    };
    const at = rows.findIndex((r) => r.study === row.study && r.sliceIndex === z);
    if (at >= 0) {
      rows[at] = row;
      replaced++;
    } else {
      // Every fifth slice the set receives is held out, starting with the third.
      if (rows.length % HELD_OUT_EVERY === 2) val.add(file);
      rows.push(row);
      added++;
    }
  }

  const next = TrainingSetManifest.parse({ ...manifest, slices: rows });
  const lines = (names: readonly string[]): Uint8Array => Buffer.from(names.map((n) => `${n}\n`).join(''));
  await writeFileAtomic(join(setDir, 'train.txt'), [lines(rows.map((r) => r.file).filter((f) => !val.has(f)))]);
  await writeFileAtomic(join(setDir, 'val.txt'), [lines(rows.map((r) => r.file).filter((f) => val.has(f)))]);
  await writeFileAtomic(join(setDir, 'manifest.json'), [Buffer.from(`${JSON.stringify(next, null, 2)}\n`)]);
  return { setDir, setId: next.id, slices: [...wanted].sort((a, b) => a - b), added, replaced, total: rows.length, heldOut: rows.filter((r) => val.has(r.file)).length };
}

/** An existing set's manifest and held-out list, or null when the folder has none. */
export async function readSet(setDir: string): Promise<{ manifest: TrainingSetManifest; val: string[] } | null> {
  const text = await readFile(join(setDir, 'manifest.json'), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new UserFacingError('unreadable', `Cannot read ${basename(setDir)}/manifest.json: ${e.message}`);
  });
  if (text === null) return null;
  let parsed;
  try {
    parsed = TrainingSetManifest.safeParse(JSON.parse(text));
  } catch (e) {
    throw new UserFacingError('unreadable', `${basename(setDir)}/manifest.json is not valid JSON (${e instanceof Error ? e.message : String(e)}); move it away to start a new set.`);
  }
  if (!parsed.success) throw new UserFacingError('unreadable', `${basename(setDir)}/manifest.json is not a training-set manifest:\n${z.prettifyError(parsed.error)}`);
  const val = await readFile(join(setDir, 'val.txt'), 'utf8').catch(() => '');
  return { manifest: parsed.data, val: val.split('\n').map((l) => l.trim()).filter((l) => l.length > 0) };
}
