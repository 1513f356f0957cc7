/**
 * The kept uncertainty across a restart and an undo (issue 17): saved beside the labels after a
 * run and restored on open byte for byte; a damaged, truncated or foreign file is ignored with
 * the labels intact; a write that fails never fails the run; the overlay and the review queue
 * show a run's figures only on slices whose labels still come from it. Through Studies (the
 * path the workstation opens and closes studies by), on the shared CT.
 */
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../../../test-support/paths.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Volume } from '../imaging/volume.js';
import { RunUncertainty } from './run-uncertainty.js';
import { Studies } from './studies.js';
import type { Study } from './study.js';
import { UNCERTAINTY_FILE, writeUncertainty } from './uncertainty-file.js';

let volume: Volume;
let NX: number, NY: number, NZ: number;
const A = { name: 'model-a', version: '1' };
const B = { name: 'model-b', version: '2' };
/** Slices model B reruns: its figures there are the most uncertain of the study. */
const B_SLICES = [5, 6];

beforeAll(async () => {
  volume = await readVolume(join(TOTALSEG, 'example_ct_sm.nii.gz'));
  [NX, NY, NZ] = volume.dims;
});

/**
 * A run derived from the CT itself: class 1 on voxels above `hu`, entropy from the intensity
 * (offset by `shift`, so two runs differ), per-slice uncertainty `base + k/1000`.
 */
function proposal(hu: number, shift: number, base: number, completed: number[]) {
  const v = volume.voxels;
  const labels = Uint8Array.from(v, (x) => (Number(x) > hu ? 1 : 0));
  const entropy = Uint8Array.from(v, (x) => (((Number(x) + 1024) >> 3) + shift) & 255);
  const uncertainty = Float64Array.from({ length: NZ }, (_, k) => base + k / 1000);
  return { labels, entropy, uncertainty, completed, sliceAxis: 2 as const };
}
const all = () => Array.from({ length: NZ }, (_, k) => k);

/** A workstation's studies over a sessions folder; `lines` collects what they log, `notices` what they tell the user. */
function studiesIn(sessions: string) {
  const lines: string[] = [];
  const notices: { volumeId: string; message: string }[] = [];
  return { studies: new Studies(sessions, (l) => lines.push(l), (volumeId, message) => notices.push({ volumeId, message })), lines, notices };
}

/** Runs A on every slice, then B on B_SLICES; the study as it is then. */
async function twoRuns(study: Study): Promise<void> {
  await study.applyModelRun(proposal(100, 0, 0.1, all()), A, 4);
  await study.applyModelRun(proposal(0, 77, 0.9, B_SLICES), B, 4);
}

/** A study opened over a fresh sessions folder (named after `prefix`), with its workstation. */
async function freshStudy(prefix: string) {
  const sessions = mkdtempSync(join(tmpdir(), prefix));
  const first = studiesIn(sessions);
  return { sessions, first, study: await first.studies.open('v1', volume, 'ct') };
}

/** Whether every voxel of slice k is 0 in `e`. */
const sliceIsClear = (e: Uint8Array, k: number) => e.subarray(k * NX * NY, (k + 1) * NX * NY).every((x) => x === 0);

/** `e` shows nothing on B_SLICES and every other slice as `before` did. */
function expectHiddenOnlyOnB(e: Uint8Array, before: Uint8Array): void {
  for (const k of B_SLICES) expect(sliceIsClear(e, k), `slice ${k}`).toBe(true);
  for (let k = 0; k < NZ; k++) {
    if (B_SLICES.includes(k)) continue;
    const at = k * NX * NY;
    expect(Buffer.compare(e.subarray(at, at + NX * NY), before.subarray(at, at + NX * NY)), `slice ${k}`).toBe(0);
  }
}

describe('the kept uncertainty on disk', () => {
  it('is restored byte for byte after a restart, with the review queue', async () => {
    const { sessions, first, study } = await freshStudy('hsam-u-persist-');
    await twoRuns(study);
    const entropy = study.entropy!.slice();
    const labels = study.session.labels.slice();
    const next = study.nextToReview();
    expect(B_SLICES).toContain(next?.slice);
    // The study shows each slice from the latest run that finished it.
    expect(entropy[5 * NX * NY + 1234]).toBe(proposal(0, 77, 0, []).entropy[5 * NX * NY + 1234]);
    await first.studies.dispose();

    const again = studiesIn(sessions);
    const reopened = await again.studies.open('v2', volume, 'ct');
    expect(reopened.restored?.journalRecords ?? 0).toBe(0); // the close saved a snapshot
    expect(Buffer.compare(reopened.session.labels, labels)).toBe(0);
    expect(Buffer.compare(reopened.entropy!, entropy)).toBe(0);
    expect(reopened.nextToReview()).toEqual(next);
    expect(again.lines).toEqual([]);
    await again.studies.dispose();
  });

  it('is ignored when truncated, damaged or of another volume: the labels open intact, and the user is told', async () => {
    const { sessions, first, study } = await freshStudy('hsam-u-corrupt-');
    await twoRuns(study);
    const labels = study.session.labels.slice();
    const dir = study.session.opts.dir;
    await first.studies.dispose();
    const file = join(dir, UNCERTAINTY_FILE);
    const good = readFileSync(file);

    const damaged = Buffer.from(good);
    damaged[damaged.length - 100]! ^= 0xff;
    const foreign = new RunUncertainty([NX, NY, NZ + 1], 2);
    foreign.entropy = new Uint8Array(NX * NY * (NZ + 1)).fill(9);
    const cases: [string, () => Promise<void>][] = [
      ['truncated', async () => truncateSync(file, Math.floor(good.length / 2))],
      ['header cut', async () => truncateSync(file, 10)],
      ['damaged', async () => writeFileSync(file, damaged)],
      ['another volume', () => writeUncertainty(dir, foreign, [A])],
    ];
    for (const [name, spoil] of cases) {
      await spoil();
      const again = studiesIn(sessions);
      const reopened = await again.studies.open('v2', volume, 'ct');
      expect(Buffer.compare(reopened.session.labels, labels), name).toBe(0);
      expect(reopened.entropy, name).toBeNull();
      expect(() => reopened.nextToReview(), name).toThrow(/Run the model/);
      expect(again.lines.join('\n'), name).toMatch(/not restored/);
      expect(again.notices.map((n) => n.volumeId), name).toEqual(['v2']);
      expect(again.notices[0]?.message, name).toMatch(/could not be restored.*run the model again/);
      await again.studies.close('v2');
      writeFileSync(file, good);
    }
  });

  it('never fails the run when it cannot be written: the labels are kept, the failure logged and told to the user', async () => {
    const { sessions, first, study } = await freshStudy('hsam-u-nowrite-');
    // A folder where the file goes: no rename can replace it (whoever runs the tests, root too).
    mkdirSync(join(study.session.opts.dir, UNCERTAINTY_FILE));
    const change = await study.applyModelRun(proposal(100, 0, 0.1, all()), A, 4);
    expect(change.indices.length).toBeGreaterThan(0);
    await study.uncertaintySaved();
    expect(first.lines.join('\n')).toMatch(/uncertainty was not saved/);
    expect(first.notices.map((n) => n.volumeId)).toEqual(['v1']);
    expect(first.notices[0]?.message).toMatch(/uncertainty overlay could not be saved.*labels are saved/);
    // The overlay still shows in this session; the labels survive a restart.
    expect(study.entropy).not.toBeNull();
    const labels = study.session.labels.slice();
    await first.studies.dispose();

    const again = studiesIn(sessions);
    const reopened = await again.studies.open('v2', volume, 'ct');
    expect(Buffer.compare(reopened.session.labels, labels)).toBe(0);
    expect(reopened.entropy).toBeNull();
    await again.studies.dispose();
  });
});

describe('undoing a run', () => {
  it('hides its uncertainty where its labels are gone, redo shows it again, and a restart keeps that', async () => {
    const { sessions, first, study } = await freshStudy('hsam-u-undo-');
    await twoRuns(study);
    const shown = study.entropy!.slice();
    const next = study.nextToReview();

    await study.undo(false);
    const afterUndo = study.entropy!;
    // Model A's slices are as they were.
    expectHiddenOnlyOnB(afterUndo, shown);
    // The queue no longer ranks slices by figures of labels that are gone.
    const queued = study.nextToReview();
    expect(B_SLICES).not.toContain(queued?.slice);
    expect(queued?.uncertainty).toBeLessThan(0.5);

    await study.undo(true);
    expect(Buffer.compare(study.entropy!, shown)).toBe(0);
    expect(study.nextToReview()).toEqual(next);

    // Undone again, then restarted: the saved tags still hide B's figures.
    await study.undo(false);
    await first.studies.dispose();
    const again = studiesIn(sessions);
    const reopened = await again.studies.open('v2', volume, 'ct');
    expect(Buffer.compare(reopened.entropy!, afterUndo)).toBe(0);
    expect(reopened.nextToReview()).toEqual(queued);
    await again.studies.dispose();
  });

  it('of the same model again hides the rerun\'s figures over the first run\'s labels, after a restart too', async () => {
    const { sessions, first, study } = await freshStudy('hsam-u-rerun-');
    await study.applyModelRun(proposal(100, 0, 0.1, all()), A, 4);
    const firstRun = study.entropy!.slice();
    // The same model again on B_SLICES, with other figures (as after a fine-tune to the same name).
    await study.applyModelRun(proposal(0, 77, 0.9, B_SLICES), A, 4);
    for (const k of B_SLICES) expect(sliceIsClear(study.entropy!, k), `slice ${k} shows the rerun`).toBe(false);
    expect(study.session.models).toEqual([A, A]);

    await study.undo(false);
    // The first run's labels are back on B_SLICES; the kept figures there are the rerun's: hidden.
    const afterUndo = study.entropy!;
    expectHiddenOnlyOnB(afterUndo, firstRun);
    expect(B_SLICES).not.toContain(study.nextToReview()?.slice);
    // Redo: the rerun's labels and its figures again.
    await study.undo(true);
    for (const k of B_SLICES) expect(sliceIsClear(study.entropy!, k), `slice ${k} after redo`).toBe(false);

    await study.undo(false);
    await first.studies.dispose();
    const again = studiesIn(sessions);
    const reopened = await again.studies.open('v2', volume, 'ct');
    expect(reopened.session.models).toEqual([A, A]);
    expect(Buffer.compare(reopened.entropy!, afterUndo)).toBe(0);
    await again.studies.dispose();
  });
});
