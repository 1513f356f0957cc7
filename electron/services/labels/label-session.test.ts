import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ModelId } from '../../../common/contract/segmentation.js';
import { Source } from './label-diff.js';
import { LabelSession } from './label-session.js';
import { SliceStatus } from './step.js';
import { revertIndices } from './tools/revert.js';
import { disk, strokes } from './testing/strokes.js';

/** A model identity as text, for readable expectations. */
const named = (m: ModelId | null): string | null => (m ? `${m.name} ${m.version}` : null);

const dims = [40, 30, 10] as const;
const fresh = (): string => mkdtempSync(join(tmpdir(), 'hsam-labels-'));
const open = async (dir = fresh()): Promise<LabelSession> => (await LabelSession.open({ dir, dims, statusAxis: 2 })).session;
const count = (a: Uint8Array, v: number): number => a.reduce((n, x) => n + (x === v ? 1 : 0), 0);

describe('LabelSession editing', () => {
  it('paints, undoes and redoes, with provenance and slice status', async () => {
    const s = await open();
    const stroke = disk(dims, [20, 15, 4], 5);
    await s.paint(stroke, 5);
    expect(count(s.labels, 5)).toBe(stroke.length);
    expect(s.source[stroke[0]!]).toBe(Source.human);
    expect(s.sliceStatus[4]).toBe(SliceStatus.corrected);
    await s.paint(disk(dims, [22, 15, 4], 3), 0); // erase part of it
    const afterErase = count(s.labels, 5);
    expect(afterErase).toBeLessThan(stroke.length);
    expect(await s.undo()).not.toBeNull();
    expect(count(s.labels, 5)).toBe(stroke.length);
    await s.undo();
    expect(count(s.labels, 5)).toBe(0);
    expect(s.sliceStatus[4]).toBe(SliceStatus.untouched);
    expect(s.source[stroke[0]!]).toBe(Source.none);
    expect(await s.undo()).toBeNull();
    await s.redo();
    await s.redo();
    expect(count(s.labels, 5)).toBe(afterErase);
    expect(s.canRedo).toBe(false);
    // A new edit after undo drops the redo branch.
    await s.undo();
    await s.paint(disk(dims, [5, 5, 1], 2), 7);
    expect(s.canRedo).toBe(false);
    await s.close();
  });

  it('segments of one stroke are one undo step, each journaled on its own', async () => {
    const dir = fresh();
    const s = await open(dir);
    await s.paint(disk(dims, [5, 5, 2], 2), 4);
    for (const x of [10, 12, 14, 16]) await s.paint(disk(dims, [x, 10, 2], 2), 3, 'stroke-1');
    await s.paint(disk(dims, [30, 20, 2], 2), 3, 'stroke-2');
    expect(count(s.labels, 3)).toBeGreaterThan(0);
    await s.undo(); // stroke 2
    await s.undo(); // all of stroke 1
    expect(count(s.labels, 3)).toBe(0);
    expect(count(s.labels, 4)).toBe(disk(dims, [5, 5, 2], 2).length);
    await s.redo();
    expect(count(s.labels, 3)).toBeGreaterThan(disk(dims, [10, 10, 2], 2).length * 2);
    const expected = Uint8Array.from(s.labels);
    await s.close();
    const { session, restored } = await LabelSession.open({ dir, dims, statusAxis: 2 });
    expect(restored?.journalRecords).toBe(1 + 4 + 1 + 2 + 1);
    expect(Buffer.from(session.labels).equals(Buffer.from(expected))).toBe(true);
    await session.close();
  });

  it('never changes a locked class, from either side', async () => {
    const s = await open();
    await s.paint(disk(dims, [10, 10, 2], 4), 2);
    s.lockedClasses.add(2);
    await s.paint(disk(dims, [12, 10, 2], 4), 6);
    expect(count(s.labels, 2)).toBe(disk(dims, [10, 10, 2], 4).length);
    await s.paint(disk(dims, [30, 20, 2], 3), 2);
    expect(count(s.labels, 2)).toBe(disk(dims, [10, 10, 2], 4).length);
    await s.close();
  });

  it('a model run keeps human voxels, reviewed slices and locked classes, and is one undo step', async () => {
    const s = await open();
    const human = disk(dims, [20, 15, 3], 4);
    await s.paint(human, 1);
    await s.setSliceStatus([6], SliceStatus.reviewed);
    const model = new Uint8Array(s.labels.length).fill(8);
    const step = await s.applyModel(model, [2, 3, 6, 7]);
    const perSlice = dims[0] * dims[1];
    expect(step.diff.indices.length).toBe(3 * perSlice - human.length);
    expect(s.labels[human[0]!]).toBe(1);
    expect(s.labels[6 * perSlice]).toBe(0);
    expect(s.labels[7 * perSlice]).toBe(8);
    expect(s.source[7 * perSlice]).toBe(Source.auto);
    expect(Array.from(s.sliceStatus)).toEqual([0, 0, 1, 2, 0, 0, 3, 1, 0, 0]);
    await s.undo();
    expect(count(s.labels, 8)).toBe(0);
    expect(Array.from(s.sliceStatus)).toEqual([0, 0, 0, 2, 0, 0, 3, 0, 0, 0]);
    await s.redo();
    await s.applyModel(new Uint8Array(s.labels.length).fill(4), [3, 6], { overwriteHuman: true, overwriteReviewed: true });
    expect(s.labels[human[0]!]).toBe(4);
    expect(s.labels[6 * perSlice]).toBe(4);
    await s.close();
  });

  it("a model run never overwrites labels that are not the model's classes (the annotator's own)", async () => {
    const s = await open();
    const lesion = disk(dims, [20, 15, 3], 4);
    await s.paint(lesion, 9);
    // Erased by hand, then the model proposes class 2 everywhere: the human source alone would keep it.
    const model = new Uint8Array(s.labels.length).fill(2);
    await s.applyModel(model, [3], { modelClasses: 9, overwriteHuman: true });
    expect(count(s.labels, 9)).toBe(lesion.length);
    expect(count(s.labels, 2)).toBe(dims[0] * dims[1] - lesion.length);
    // Without the class count (an older caller), the rule falls back to human-edit protection only.
    await s.applyModel(model, [3], { overwriteHuman: true });
    expect(count(s.labels, 9)).toBe(0);
    await s.close();
  });

  it('remembers which model version wrote each slice, through undo, snapshots and the journal', async () => {
    const dir = fresh();
    const s = await open(dir);
    await s.applyModel(new Uint8Array(s.labels.length).fill(2), [1, 2, 3], { model: { name: 'demo', version: '0.1.0' } });
    await s.applyModel(new Uint8Array(s.labels.length).fill(3), [3, 4], { model: { name: 'demo', version: '0.2.0' } });
    expect([1, 3, 4, 5].map((z) => named(s.modelOfSlice(z)))).toEqual(['demo 0.1.0', 'demo 0.2.0', 'demo 0.2.0', null]);
    await s.undo();
    expect([3, 4].map((z) => named(s.modelOfSlice(z)))).toEqual(['demo 0.1.0', null]);
    await s.redo();
    await s.save();
    await s.applyModel(new Uint8Array(s.labels.length).fill(4), [5], { model: { name: 'demo', version: '0.1.0' } });
    await s.close();
    const { session } = await LabelSession.open({ dir, dims, statusAxis: 2 });
    // One entry per run: 0.1.0 again is a third entry (a run, not only a model, owns its slices).
    expect(session.models.map(named)).toEqual(['demo 0.1.0', 'demo 0.2.0', 'demo 0.1.0']);
    expect([...session.sliceModel.subarray(1, 7)]).toEqual([1, 1, 2, 2, 3, 0]);
    expect([1, 3, 4, 5, 6].map((z) => named(session.modelOfSlice(z)))).toEqual(['demo 0.1.0', 'demo 0.2.0', 'demo 0.2.0', 'demo 0.1.0', null]);
    await session.close();
    // The journal alone (no snapshot) rebuilds the same.
    const dir2 = fresh();
    const t = await open(dir2);
    await t.applyModel(new Uint8Array(t.labels.length).fill(2), [1], { model: { name: 'a', version: '1' } });
    await t.applyModel(new Uint8Array(t.labels.length).fill(3), [2], { model: { name: 'b', version: '2' } });
    await t.close();
    const { session: u } = await LabelSession.open({ dir: dir2, dims, statusAxis: 2 });
    expect([u.modelOfSlice(1), u.modelOfSlice(2)].map(named)).toEqual(['a 1', 'b 2']);
    await u.close();
  });

  it('keeps undo memory bounded and small: compressed sparse steps', async () => {
    const dir = fresh();
    const { session: s } = await LabelSession.open({ dir, dims, statusAxis: 2, maxUndoSteps: 100 });
    for (const [centre, value] of strokes(dims, 150, 1)) await s.paint(disk(dims, centre, 3), value);
    let undone = 0;
    while (await s.undo()) undone++;
    expect(undone).toBe(100);
    expect(s.historyBytes).toBeLessThan(s.labels.length);
    await s.close();
  });
});

describe('LabelSession durability', () => {
  it('save writes a snapshot, empties the journal, and reopening restores it', async () => {
    const dir = fresh();
    const s = await open(dir);
    await s.paint(disk(dims, [10, 10, 5], 4), 3);
    s.lockedClasses.add(3);
    await s.save();
    expect(statSync(join(dir, 'labels.journal')).size).toBe(0);
    await s.paint(disk(dims, [30, 10, 5], 4), 6);
    const expected = Uint8Array.from(s.labels);
    await s.close();
    const { session, restored } = await LabelSession.open({ dir, dims, statusAxis: 2 });
    expect(restored).toEqual({ fromSnapshot: true, journalRecords: 1, discardedBytes: 0 });
    expect(Buffer.from(session.labels).equals(Buffer.from(expected))).toBe(true);
    expect([...session.lockedClasses]).toEqual([3]);
    await session.close();
  });

  it('a torn last record is dropped; every complete one is replayed', async () => {
    const dir = fresh();
    const s = await open(dir);
    await s.paint(disk(dims, [10, 10, 5], 4), 3);
    const after1 = Uint8Array.from(s.labels);
    await s.paint(disk(dims, [30, 10, 5], 4), 6);
    await s.close();
    const journal = join(dir, 'labels.journal');
    truncateSync(journal, statSync(journal).size - 7);
    const { session, restored } = await LabelSession.open({ dir, dims, statusAxis: 2 });
    expect(restored?.journalRecords).toBe(1);
    expect(restored?.discardedBytes).toBeGreaterThan(0);
    expect(Buffer.from(session.labels).equals(Buffer.from(after1))).toBe(true);
    await session.close();
  });

  it('a killed process loses no acknowledged edit', async () => {
    const dir = fresh();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./testing/paint-until-killed.ts', import.meta.url)), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      acked = Number(line);
      if (acked >= 25) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const { session, restored } = await LabelSession.open({ dir, dims, statusAxis: 2 });
    // The child may have journaled one more stroke before it saw the kill: at least every acknowledged one is back.
    expect(restored?.journalRecords).toBeGreaterThanOrEqual(acked);
    const replayed = await open();
    const all = strokes(dims, restored?.journalRecords ?? 0, 42);
    for (const [centre, value] of all) await replayed.paint(disk(dims, centre, 3), value);
    expect(Buffer.from(session.labels).equals(Buffer.from(replayed.labels))).toBe(true);
    await session.close();
    await replayed.close();
  });
});

describe('LabelSession keeps the model proposal under human edits', () => {
  it('records what the model proposed where a human changed it, across undo, redo and a restart', async () => {
    const dir = fresh();
    const s = await open(dir);
    const model = new Uint8Array(dims[0] * dims[1] * dims[2]);
    disk(dims, [20, 15, 4], 6).forEach((i) => (model[i] = 5));
    await s.applyModel(model, [4], { model: { name: 'm', version: '1' } });
    const erase = disk(dims, [20, 15, 4], 2);
    await s.paint(erase, 0); // erase part of the proposed class 5…
    await s.paint(erase, 2); // …then paint class 2 there: the proposal under it stays 5
    await s.paint(disk(dims, [2, 2, 4], 1), 3); // drawn where the model proposed nothing
    expect(Array.from(erase, (i) => s.origin[i])).toEqual(Array.from(erase, () => 5));
    expect(s.origin[2 + dims[0] * 2 + dims[0] * dims[1] * 4]).toBe(0);
    await s.undo();
    await s.undo();
    await s.undo();
    expect(Array.from(erase, (i) => s.source[i])).toEqual(Array.from(erase, () => Source.auto));
    await s.redo();
    expect(Array.from(erase, (i) => s.origin[i])).toEqual(Array.from(erase, () => 5));
    await s.save();
    await s.close();
    const again = await open(dir);
    expect(Array.from(erase, (i) => again.origin[i])).toEqual(Array.from(erase, () => 5));
    expect(Array.from(erase, (i) => again.labels[i])).toEqual(Array.from(erase, () => 0));
    await again.close();
  });
});

describe('LabelSession correction-tool edits', () => {
  const copy = (s: LabelSession): [Uint8Array, Uint8Array, Uint8Array] => [Uint8Array.from(s.labels), Uint8Array.from(s.source), Uint8Array.from(s.sliceStatus)];

  it('a set is a paint: one journaled step, source human, slices corrected, undone and redone exactly', async () => {
    const dir = fresh();
    const s = await open(dir);
    const before = copy(s);
    const region = disk(dims, [20, 15, 6], 5);
    const step = await s.edit(() => ({ kind: 'set', indices: region, value: 4 }));
    expect(step.diff.indices.length).toBe(region.length);
    expect(Array.from(region, (i) => s.source[i])).toEqual(Array.from(region, () => Source.human));
    expect(s.sliceStatus[6]).toBe(SliceStatus.corrected);
    const after = copy(s);
    await s.undo();
    expect(copy(s)).toEqual(before);
    await s.redo();
    expect(copy(s)).toEqual(after);
    await s.close();
    const { session, restored } = await LabelSession.open({ dir, dims, statusAxis: 2 });
    expect(restored?.journalRecords).toBe(3);
    expect(copy(session)).toEqual(after);
    await session.close();
  });

  it('an edit that changes nothing is neither journaled nor an undo step; a failing one changes nothing', async () => {
    const s = await open();
    await s.paint(disk(dims, [5, 5, 1], 2), 3);
    const revision = s.revision;
    await s.edit(() => ({ kind: 'set', indices: new Uint32Array(0), value: 2 }));
    await s.edit(() => ({ kind: 'revert', indices: disk(dims, [30, 20, 1], 2) })); // nobody edited there
    expect(s.revision).toBe(revision);
    await expect(s.edit(() => { throw new Error('tool failed'); })).rejects.toThrow('tool failed');
    expect(s.revision).toBe(revision);
    await s.undo();
    expect(s.canUndo).toBe(false);
    await s.close();
  });

  it('revert puts human-set voxels back to the proposal (source auto or none), keeps locked classes and slice status', async () => {
    const dir = fresh();
    const s = await open(dir);
    const model = new Uint8Array(dims[0] * dims[1] * dims[2]);
    const proposal = disk(dims, [20, 15, 4], 6);
    proposal.forEach((i) => (model[i] = 5));
    await s.applyModel(model, [4], { model: { name: 'm', version: '1' } });
    const proposed = copy(s);
    await s.paint(disk(dims, [20, 15, 4], 2), 0); // erase inside the proposal
    await s.paint(disk(dims, [30, 15, 4], 3), 5); // add class 5 outside it
    await s.paint(disk(dims, [3, 3, 4], 2), 7); // another class on background: not reverted
    const before = copy(s);
    const step = await s.edit(() => ({ kind: 'revert', indices: revertIndices(dims, s.labels, s.source, s.origin, { classIndex: 5, axis: 2, slice: 4 }) }));
    expect(step.status.slices.length).toBe(0);
    const seven = disk(dims, [3, 3, 4], 2);
    for (let i = 0; i < s.labels.length; i++) {
      const human7 = seven.includes(i);
      expect(s.labels[i], `voxel ${i}`).toBe(human7 ? 7 : proposed[0][i]);
      expect(s.source[i], `voxel ${i}`).toBe(human7 ? Source.human : proposed[1][i]);
    }
    expect(s.sliceStatus[4]).toBe(SliceStatus.corrected);
    await s.undo();
    expect(copy(s)).toEqual(before);
    await s.redo();
    const reverted = copy(s);
    await s.close();
    const { session } = await LabelSession.open({ dir, dims, statusAxis: 2 });
    expect(copy(session)).toEqual(reverted);
    await session.close();

    // A locked class is not reverted into or out of.
    const t = await open();
    await t.applyModel(model, [4], { model: { name: 'm', version: '1' } });
    await t.paint(proposal, 2);
    t.lockedClasses.add(2);
    await t.edit(() => ({ kind: 'revert', indices: proposal }));
    expect(Array.from(proposal, (i) => t.labels[i])).toEqual(Array.from(proposal, () => 2));
    await t.close();
  });

  it('threshold-brush segments with one stroke id undo as one step', async () => {
    const s = await open();
    for (const x of [10, 13, 16]) await s.edit(() => ({ kind: 'set', indices: disk(dims, [x, 10, 3], 2), value: 6, stroke: 'brush-1' }));
    await s.edit(() => ({ kind: 'set', indices: new Uint32Array(0), value: 6, stroke: 'brush-1' }));
    expect(count(s.labels, 6)).toBeGreaterThan(disk(dims, [10, 10, 3], 2).length * 2);
    await s.undo();
    expect(count(s.labels, 6)).toBe(0);
    expect(s.canUndo).toBe(false);
    await s.close();
  });
});
