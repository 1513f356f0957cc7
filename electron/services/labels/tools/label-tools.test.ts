/**
 * The correction tools end to end through the handler table (`labels.apply`, as the renderer
 * calls it) on the shared CT, checked against its reference segmentation: what each tool
 * finds, that the change it answers mirrors the labels main holds, that undo and redo restore
 * them exactly, and that a restart replays the journal.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArgsOf, OpenedStudy } from '../../../../common/contract/api.js';
import type { LabelChange, LabelState } from '../../../../common/contract/segmentation.js';
import { REPO_ROOT, TOTALSEG } from '../../../../test-support/paths.js';
import { readVolume } from '../../imaging/read-volume.js';
import type { Volume } from '../../imaging/volume.js';
import { createWorkstation, type Workstation } from '../../workstation.js';
import { Source } from '../label-diff.js';
import { signedDistance } from './edt.js';
import { callApi } from '../../../../test-support/dispatch.js';

const CT = join(TOTALSEG, 'example_ct_sm.nii.gz');
const LIVER = 5; // TotalSegmentator `total` index, used as our class too
const HU: [number, number] = [20, 80]; // liver in this non-contrast CT: 5th–95th percentile 21–67 HU

let ws: Workstation;
let sessionsDir: string;
let ct: Volume;
let ref: Uint8Array;
let nx: number;
let ny: number;
let per: number;

type Tool = ArgsOf<'labels.apply'>['tool'];

const call = <T>(channel: string, arg: unknown, on = ws): Promise<T> => callApi<T>(on, channel, arg);

/** An opened study with fresh labels (a copy of the CT is another study), and the renderer's mirror of them. */
async function study(on = ws, path?: string): Promise<{ volumeId: string; path: string; mirror: Uint8Array }> {
  const file = path ?? join(mkdtempSync(join(tmpdir(), 'hsam-tools-study-')), 'ct.nii.gz');
  if (!path) cpSync(CT, file);
  const meta = (await call<OpenedStudy>('volume.open', { fileId: on.files.grant(file, 'dialog').fileId }, on)).meta;
  const state = await call<LabelState>('labels.get', { volumeId: meta.volumeId }, on);
  return { volumeId: meta.volumeId, path: file, mirror: Uint8Array.from(state.labels) };
}

/** Main's labels and provenance of a study (the session itself: provenance is not in the contract). */
const labelsOf = async (
  volumeId: string,
  on = ws,
): Promise<{ labels: Uint8Array; source: Uint8Array; sliceStatus: Uint8Array; restored: { journalRecords: number } | null }> => {
  const { session, restored } = await on.studies.get(volumeId);
  return { labels: session.labels, source: session.source, sliceStatus: session.sliceStatus, restored };
};

/** Apply a change to the renderer-side copy, as the renderer does. */
function mirrorChange(mirror: Uint8Array, c: LabelChange | null): LabelChange | null {
  c?.indices.forEach((i, n) => (mirror[i] = c.values[n]!));
  return c;
}

async function apply(s: { volumeId: string; mirror: Uint8Array }, tool: Tool): Promise<LabelChange> {
  return mirrorChange(s.mirror, await call<LabelChange>('labels.apply', { volumeId: s.volumeId, tool }))!;
}

async function paint(s: { volumeId: string; mirror: Uint8Array }, indices: Uint32Array, value: number): Promise<void> {
  mirrorChange(s.mirror, await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices, value }));
}

/** Apply a tool; check the mirror, then that undo restores labels and provenance exactly and redo re-applies. */
async function applyChecked(s: { volumeId: string; mirror: Uint8Array }, tool: Tool): Promise<LabelChange> {
  const before = await labelsOf(s.volumeId);
  const [labels0, source0] = [Uint8Array.from(before.labels), Uint8Array.from(before.source)];
  const change = await apply(s, tool);
  const after = await labelsOf(s.volumeId);
  const [labels1, source1] = [Uint8Array.from(after.labels), Uint8Array.from(after.source)];
  expect(Buffer.from(s.mirror).equals(Buffer.from(labels1)), 'the change mirrors main’s labels').toBe(true);
  if (change.indices.length === 0) return change;
  mirrorChange(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
  const undone = await labelsOf(s.volumeId);
  expect(Buffer.from(undone.labels).equals(Buffer.from(labels0)), 'undo restores the labels').toBe(true);
  expect(Buffer.from(undone.source).equals(Buffer.from(source0)), 'undo restores provenance').toBe(true);
  expect(Buffer.from(s.mirror).equals(Buffer.from(labels0))).toBe(true);
  mirrorChange(s.mirror, await call<LabelChange>('labels.redo', { volumeId: s.volumeId }));
  const redone = await labelsOf(s.volumeId);
  expect(Buffer.from(redone.labels).equals(Buffer.from(labels1)), 'redo re-applies').toBe(true);
  expect(Buffer.from(redone.source).equals(Buffer.from(source1))).toBe(true);
  return change;
}

const sliceIndices = (z: number, keep: (i: number) => boolean): Uint32Array<ArrayBuffer> => {
  const out: number[] = [];
  for (let i = z * per; i < (z + 1) * per; i++) if (keep(i)) out.push(i);
  return Uint32Array.from(out);
};

function dice(ours: (i: number) => boolean, theirs: (i: number) => boolean, indices: Iterable<number>): number {
  let inter = 0;
  let a = 0;
  let b = 0;
  for (const i of indices) {
    const x = ours(i);
    const y = theirs(i);
    if (x) a++;
    if (y) b++;
    if (x && y) inter++;
  }
  return a + b === 0 ? 1 : (2 * inter) / (a + b);
}

const num = (a: number, b: number): number => a - b;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, n) => from + n);
const slicesRange = (zs: readonly number[]): number[] => zs.flatMap((z) => range(z * per, (z + 1) * per));

/** A click a user would make: the liver voxel deepest inside it (in mm) whose intensity is in range. */
function seedIn(z: number): [number, number, number] {
  const mask = Uint8Array.from({ length: per }, (_, p) => (ref[z * per + p] === LIVER ? 1 : 0));
  const d = signedDistance(mask, nx, ny, ct.spacing[0], ct.spacing[1]);
  let best = -1;
  for (let p = 0; p < per; p++) {
    const hu = ct.voxels[z * per + p]!;
    if (hu >= HU[0] && hu <= HU[1] && (best < 0 || d[p]! < d[best]!)) best = p;
  }
  return [best % nx, Math.floor(best / nx), z];
}

beforeAll(async () => {
  sessionsDir = mkdtempSync(join(tmpdir(), 'hsam-tools-'));
  ws = createWorkstation({
    version: 'test',
    emit: () => {},
    dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
    defaultModelDir: join(REPO_ROOT, 'native-models', 'models', 'demo'),
    sessionsDir,
  });
  ct = await readVolume(CT);
  const seg = await readVolume(join(TOTALSEG, 'example_seg.nii.gz'));
  // The reference is in the CT's voxel grid, so indices compare directly.
  expect([seg.dims, seg.origin, seg.direction]).toEqual([ct.dims, ct.origin, ct.direction]);
  ref = seg.voxels as Uint8Array;
  [nx, ny] = ct.dims;
  per = nx * ny;
});
afterAll(() => ws.dispose());

describe('correction tools on the shared CT', () => {
  it('region grow (2D) from one click finds the liver on its slice', async () => {
    const s = await study();
    const scores: number[] = [];
    for (const z of [10, 15, 20, 25]) {
      await applyChecked(s, { kind: 'region-grow', seed: seedIn(z), value: LIVER, range: HU, axis: 2, within: 0 });
      scores.push(dice((i) => s.mirror[i] === LIVER, (i) => ref[i] === LIVER, range(z * per, (z + 1) * per)));
    }
    console.log('region grow 2D, liver Dice on slices 10, 15, 20, 25:', scores.map((d) => d.toFixed(3)).join(' '));
    // Measured 0.852 0.880 0.896 0.913; plain thresholding in non-contrast CT cannot do much better.
    for (const d of scores) expect(d).toBeGreaterThan(0.82);
    const state = await labelsOf(s.volumeId);
    expect(Array.from(state.sliceStatus).filter((x) => x === 2)).toHaveLength(4);
  });

  it('region grow (3D) limited to background does not eat the organs around the liver', async () => {
    const s = await study();
    // The other organs labelled first (as the model would have), each with its reference class.
    const others = new Map<number, number[]>();
    ref.forEach((c, i) => {
      if (c === 0 || c === LIVER) return;
      if (!others.has(c)) others.set(c, []);
      others.get(c)!.push(i);
    });
    for (const [c, idx] of others) await paint(s, Uint32Array.from(idx), c);
    const labelled = Uint8Array.from(s.mirror);
    const all = range(0, ref.length);
    const grow: Tool = { kind: 'region-grow', seed: seedIn(15), value: LIVER, range: HU, within: 0 };
    await applyChecked(s, grow);
    const limited = dice((i) => s.mirror[i] === LIVER, (i) => ref[i] === LIVER, all);
    // Only background changed: every other organ kept every voxel.
    expect(all.every((i) => labelled[i] === 0 || s.mirror[i] === labelled[i])).toBe(true);
    mirrorChange(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    const { within: _, ...unlimited } = grow;
    // The default paint-over rule ('nothing') keeps every other organ with no `within` at all.
    const counts = (): number[] => [...others.keys()].map((c) => s.mirror.reduce((n, x) => n + (x === c ? 1 : 0), 0));
    const countsBefore = counts();
    await applyChecked(s, unlimited);
    expect(counts()).toEqual(countsBefore);
    expect(all.every((i) => labelled[i] === 0 || s.mirror[i] === labelled[i])).toBe(true);
    mirrorChange(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    // 'background' keeps them too; { label } overwrites that class only.
    await apply(s, { ...unlimited, paintOver: 'background' });
    expect(counts()).toEqual(countsBefore);
    mirrorChange(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    const [first] = [...others.keys()];
    await apply(s, { ...unlimited, paintOver: { label: first! } });
    expect(all.every((i) => labelled[i] === 0 || labelled[i] === first || s.mirror[i] === labelled[i])).toBe(true);
    mirrorChange(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    await apply(s, { ...unlimited, paintOver: 'all' });
    const leaky = dice((i) => s.mirror[i] === LIVER, (i) => ref[i] === LIVER, all);
    console.log(`region grow 3D, liver Dice: ${limited.toFixed(3)} limited to background, ${leaky.toFixed(3)} through other organs`);
    // Measured 0.846 and 0.630: in non-contrast CT the range alone leaks into stomach, spleen and muscle.
    expect(limited).toBeGreaterThan(0.8);
    expect(leaky).toBeLessThan(limited - 0.1);
    // A limit smaller than the region refuses it, with a message, and changes nothing.
    mirrorChange(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    const before = Uint8Array.from((await labelsOf(s.volumeId)).labels);
    const refused = await ws.dispatch('labels.apply', { volumeId: s.volumeId, tool: { ...grow, maxVoxels: 1000 } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/grew past 1,000 voxels/) as unknown } });
    expect(Buffer.from((await labelsOf(s.volumeId)).labels).equals(Buffer.from(before))).toBe(true);
  });

  it('interpolation between slices 4 apart beats copying the nearest slice', async () => {
    const s = await study();
    const keys = [2, 6, 10, 14, 18, 22, 26];
    for (const z of keys) await paint(s, sliceIndices(z, (i) => ref[i] === LIVER), LIVER);
    for (let n = 0; n + 1 < keys.length; n++) await applyChecked(s, { kind: 'interpolate', classIndex: LIVER, axis: 2, from: keys[n]!, to: keys[n + 1]! });
    const between = range(3, 26).filter((z) => !keys.includes(z));
    const nearest = (i: number): boolean => {
      const z = Math.floor(i / per);
      const k = keys.reduce((a, b) => (Math.abs(b - z) < Math.abs(a - z) ? b : a));
      return ref[(i % per) + k * per] === LIVER;
    };
    const idx = slicesRange(between);
    const ours = dice((i) => s.mirror[i] === LIVER, (i) => ref[i] === LIVER, idx);
    const copied = dice(nearest, (i) => ref[i] === LIVER, idx);
    console.log(`interpolation of the liver over gaps of 4 slices (3 mm): Dice ${ours.toFixed(3)}, nearest-slice copy ${copied.toFixed(3)}`);
    // Measured 0.967 and 0.944.
    expect(ours).toBeGreaterThan(copied + 0.01);
    expect(ours).toBeGreaterThan(0.94);
  });

  it('fill holes, remove islands, threshold paint and scissors on a liver slice; all journaled', async () => {
    const s = await study();
    const z = 15;
    const liver = sliceIndices(z, (i) => ref[i] === LIVER);
    await paint(s, liver, LIVER);
    // The reference liver has no holes on this slice: filling changes nothing.
    expect((await applyChecked(s, { kind: 'fill-holes', classIndex: LIVER, plane: { axis: 2, slice: z } })).indices.length).toBe(0);

    // Holes: erase three voxels deep inside (≥ 2 voxels from the edge), and a 2×2 patch.
    const mask = Uint8Array.from({ length: per }, (_, p) => (ref[z * per + p] === LIVER ? 1 : 0));
    const depth = signedDistance(mask, nx, ny, 1, 1);
    const deep = range(0, per).filter((p) => depth[p]! <= -3);
    const holes = [deep[0]!, deep[Math.floor(deep.length / 2)]!, deep.at(-1)!].map((p) => z * per + p);
    const patchCorner = deep[Math.floor(deep.length / 3)]!;
    const patch = [0, 1, nx, nx + 1].map((d) => z * per + patchCorner + d).filter((i) => depth[i - z * per]! <= -2);
    await paint(s, Uint32Array.from([...holes, ...patch]), 0);
    // In 3D they are not holes: the slices above and below have no liver, so they open onto them.
    expect((await apply(s, { kind: 'fill-holes', classIndex: LIVER })).indices.length).toBe(0);
    const filled = await applyChecked(s, { kind: 'fill-holes', classIndex: LIVER, plane: { axis: 2, slice: z } });
    expect([...filled.indices].sort(num)).toEqual([...new Set([...holes, ...patch])].sort(num));

    // Islands: three single voxels and a 2×2 blob of liver in the background, far from the liver.
    const far = range(0, per).filter((p) => depth[p]! >= 10 && ref[z * per + p] === 0 && p % nx > 2 && p % nx < nx - 3);
    const singles = [far[0]!, far[Math.floor(far.length / 2)]!, far.at(-1)!].map((p) => z * per + p);
    const blobAt = far.find((p) => [1, nx, nx + 1].every((d) => far.includes(p + d)) && singles.every((q) => Math.abs(q - z * per - p) > 3 * nx))!;
    const blob = [0, 1, nx, nx + 1].map((d) => z * per + blobAt + d);
    await paint(s, Uint32Array.from([...singles, ...blob]), LIVER);
    const small = await applyChecked(s, { kind: 'islands', classIndex: LIVER, mode: 'smaller-than', minVoxels: 2, plane: { axis: 2, slice: z } });
    expect([...small.indices].sort(num)).toEqual([...singles].sort(num));
    const rest = await applyChecked(s, { kind: 'islands', classIndex: LIVER, mode: 'all-but-largest' });
    expect([...rest.indices].sort(num)).toEqual([...blob].sort(num));
    expect(rest.values.every((v) => v === 0)).toBe(true);
    expect(sliceIndices(z, (i) => s.mirror[i] === LIVER)).toEqual(liver);

    // Threshold paint: a brush square on the next slice paints only voxels within the HU range, over background only.
    const brush = sliceIndices(z + 1, (i) => Math.abs((i % nx) - 60) <= 15 && Math.abs((Math.floor(i / nx) % ny) - 50) <= 15);
    const painted = await applyChecked(s, { kind: 'threshold-paint', indices: brush, value: 9, range: HU, within: 0 });
    expect([...painted.indices]).toEqual([...brush].filter((i) => ct.voxels[i]! >= HU[0] && ct.voxels[i]! <= HU[1]));

    // Scissors: a triangle on slice z, erasing inside it through the whole volume, touches only labelled voxels.
    const tri: [number, number][] = [
      [30, 20],
      [90, 40],
      [45, 85],
    ];
    const labelledBefore = Uint8Array.from(s.mirror);
    const cut = await applyChecked(s, { kind: 'scissors', axis: 2, slice: z, points: tri, side: 'inside', value: 0, through: 'volume' });
    const inTri = (i: number): boolean => {
      const [u, v] = [i % nx, Math.floor(i / nx) % ny];
      let inside = false;
      for (let k = 0, l = 2; k < 3; l = k++) {
        const [uk, vk] = tri[k]!;
        const [ul, vl] = tri[l]!;
        if (vk <= v !== vl <= v && u < uk + ((v - vk) * (ul - uk)) / (vl - vk)) inside = !inside;
      }
      return inside;
    };
    const expectedCut = range(0, ref.length).filter((i) => labelledBefore[i] !== 0 && inTri(i));
    expect(expectedCut.length).toBeGreaterThan(100);
    expect([...cut.indices].sort(num)).toEqual(expectedCut);
    // Scissors filling outside the triangle on one slice, limited to a range: a threshold-limited fill.
    const fill = await applyChecked(s, { kind: 'scissors', axis: 2, slice: 20, points: tri, side: 'outside', value: 7, through: 'slice', range: [100, 3000] });
    expect(fill.indices.length).toBeGreaterThan(0);
    expect([...fill.indices].every((i) => Math.floor(i / per) === 20 && !inTri(i) && ct.voxels[i]! >= 100)).toBe(true);

    // Journaled: another workstation opening the same study (as after a crash) replays every edit.
    const final = await labelsOf(s.volumeId);
    const again = createWorkstation({
      version: 'test',
      emit: () => {},
      dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
      sessionsDir,
    });
    const reopened = await study(again, s.path);
    const state = await labelsOf(reopened.volumeId, again);
    expect(state.restored?.journalRecords).toBeGreaterThan(10);
    expect(Buffer.from(state.labels).equals(Buffer.from(final.labels))).toBe(true);
    expect(Buffer.from(state.source).equals(Buffer.from(final.source))).toBe(true);
    await again.dispose();
  });

  it('revert puts a corrected class on a slice back to the model’s proposal', async () => {
    const startup = await call<{ defaultModel: { fileId: string } }>('app.getStartup', {});
    await call('model.load', { fileId: startup.defaultModel.fileId });
    const s = await study();
    await call('segment.start', { volumeId: s.volumeId });
    const proposal = await labelsOf(s.volumeId);
    const [labels0, source0] = [Uint8Array.from(proposal.labels), Uint8Array.from(proposal.source)];
    s.mirror.set(labels0);
    const z = 15;
    const modelLiver = sliceIndices(z, (i) => labels0[i] === LIVER);
    expect(modelLiver.length).toBeGreaterThan(500);
    // Erase a third of the proposed liver, paint class 3 over another part, and class 3 on background too.
    await paint(s, modelLiver.slice(0, 200), 0);
    // Over the liver: the brush's default rule ('nothing') would keep it, so paint over all.
    mirrorChange(s.mirror, await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: modelLiver.slice(200, 300), value: 3, paintOver: 'all' }));
    const background = sliceIndices(z, (i) => labels0[i] === 0).slice(0, 50);
    await paint(s, background, 3);
    const revert = await applyChecked(s, { kind: 'revert', classIndex: LIVER, axis: 2, slice: z });
    expect(revert.indices.length).toBe(300);
    const now = await labelsOf(s.volumeId);
    expect(Array.from(modelLiver, (i) => now.labels[i])).toEqual(Array.from(modelLiver, () => LIVER));
    expect(Array.from(modelLiver, (i) => now.source[i])).toEqual(Array.from(modelLiver, () => Source.auto));
    expect(Array.from(background, (i) => now.labels[i])).toEqual(Array.from(background, () => 3)); // not the liver's edit
    await applyChecked(s, { kind: 'revert', classIndex: 3, axis: 2, slice: z });
    const back = await labelsOf(s.volumeId);
    expect(Buffer.from(back.labels).equals(Buffer.from(labels0))).toBe(true);
    expect(Buffer.from(back.source).equals(Buffer.from(source0))).toBe(true);
  });

  it('rejects bad tool arguments with a message saying what is wrong', async () => {
    const s = await study();
    const bad = async (tool: unknown): Promise<string> => {
      const r = await ws.dispatch('labels.apply', { volumeId: s.volumeId, tool });
      expect(r.ok).toBe(false);
      return r.ok ? '' : r.error.message;
    };
    expect(await bad({ kind: 'region-grow', seed: [1, 2, 3], value: 1, range: [80, 20] })).toMatch(/lo must not exceed hi/);
    expect(await bad({ kind: 'scissors', axis: 3, slice: 0, points: [[0, 0], [1, 1], [2, 0]], side: 'inside', value: 0, through: 'slice' })).toMatch(/axis/);
    expect(await bad({ kind: 'scissors', axis: 2, slice: 0, points: [[0, 0], [1, 1]], side: 'inside', value: 0, through: 'slice' })).toMatch(/points/);
    expect(await bad({ kind: 'islands', classIndex: 0, mode: 'all-but-largest' })).toMatch(/classIndex/);
    expect(await bad({ kind: 'islands', classIndex: 5, mode: 'smaller-than' })).toMatch(/needs minVoxels/);
    expect(await bad({ kind: 'interpolate', classIndex: 5, axis: 2, from: 4, to: 5 })).toMatch(/at least one slice between/);
    expect(await bad({ kind: 'fill-holes', classIndex: 5, plane: { axis: 2, slice: 30 } })).toBe('Slice 30 is outside the volume (30 slices along axis 2).');
    expect(await bad({ kind: 'region-grow', seed: [122, 0, 0], value: 1, range: [0, 1] })).toMatch(/outside the volume/);
    expect(await bad({ kind: 'interpolate', classIndex: 5, axis: 2, from: 4, to: 8 })).toBe('Slice 4 has no voxels of class 5; interpolate between two slices that both contain it.');
    expect(await bad({ kind: 'threshold-paint', indices: Uint32Array.of(122 * 101 * 30), value: 1, range: [0, 1] })).toMatch(/outside the volume/);
    expect(await bad({ kind: 'flood', seed: [1, 1, 1] })).toMatch(/kind/);
    expect(await bad({ kind: 'revert', classIndex: 5, axis: 2, slice: 1, extra: true })).toMatch(/extra/);
  });
});
