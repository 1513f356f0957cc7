/**
 * The 3D helpers (margin, smoothing, logical operators, fill between slices), the shared
 * paint-over rule and editable range for the brush, previews and segment statistics, through
 * the handler table as the renderer calls them, on the shared CT with its reference labels.
 * Shapes are checked against scipy.ndimage (exact EDT with the spacing, binary morphology,
 * median filter) and statistics against numpy on the files as nibabel reads them.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArgsOf, OpenedStudy } from '../../../../common/contract/api.js';
import type { LabelPreview, SegmentStatistics } from '../../../../common/contract/label-tools.js';
import type { LabelChange, LabelState } from '../../../../common/contract/segmentation.js';
import { callApi } from '../../../../test-support/dispatch.js';
import { REPO_ROOT, TOTALSEG } from '../../../../test-support/paths.js';
import { pythonJson } from '../../../../test-support/python.js';
import { readVolume } from '../../imaging/read-volume.js';
import type { Volume } from '../../imaging/volume.js';
import { createWorkstation, type Workstation } from '../../workstation.js';

const CT = join(TOTALSEG, 'example_ct_sm.nii.gz');
const SEG = join(TOTALSEG, 'example_seg.nii.gz');
const LIVER = 5;
const SPLEEN = 1;
const KIDNEY_R = 2;
/** The organs labelled in each study (the Synapse eight that are in this CT). */
const ORGANS = [1, 2, 3, 4, 5, 6, 7, 52];

type Tool = ArgsOf<'labels.apply'>['tool'];
interface S {
  volumeId: string;
  mirror: Uint8Array;
}

let ws: Workstation;
let ct: Volume;
let ref: Uint8Array;
let dims: readonly [number, number, number];

const call = <T>(channel: string, arg: unknown): Promise<T> => callApi<T>(ws, channel, arg);
const count = (l: Uint8Array, c: number): number => l.reduce((n, x) => n + (x === c ? 1 : 0), 0);
const countsOf = (l: Uint8Array): number[] => ORGANS.map((c) => count(l, c));

function mirror(m: Uint8Array, c: LabelChange | null): void {
  c?.indices.forEach((i, n) => (m[i] = c.values[n]!));
}

/** A fresh study of the CT with the reference organs painted in (each its own class). */
async function study(): Promise<S> {
  const file = join(mkdtempSync(join(tmpdir(), 'hsam-helpers-')), 'ct.nii.gz');
  cpSync(CT, file);
  const meta = (await call<OpenedStudy>('volume.open', { fileId: ws.files.grant(file, 'dialog').fileId })).meta;
  const state = await call<LabelState>('labels.get', { volumeId: meta.volumeId });
  const s = { volumeId: meta.volumeId, mirror: Uint8Array.from(state.labels) };
  for (const c of ORGANS) {
    const idx: number[] = [];
    ref.forEach((x, i) => x === c && idx.push(i));
    mirror(s.mirror, await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: Uint32Array.from(idx), value: c }));
  }
  return s;
}

const labelsOf = async (s: S): Promise<Uint8Array> => Uint8Array.from((await ws.studies.get(s.volumeId)).session.labels);

/** Preview, check nothing changed, apply, check the preview was exactly the change; undo restores in one step. */
async function previewApply(s: S, tool: Tool): Promise<{ before: Uint8Array; after: Uint8Array }> {
  const before = await labelsOf(s);
  const p = await call<LabelPreview>('labels.preview', { volumeId: s.volumeId, tool });
  expect(Buffer.from(await labelsOf(s)).equals(Buffer.from(before)), 'a preview changes nothing').toBe(true);
  const change = await call<LabelChange>('labels.apply', { volumeId: s.volumeId, tool });
  mirror(s.mirror, change);
  const after = await labelsOf(s);
  expect(Buffer.from(s.mirror).equals(Buffer.from(after))).toBe(true);
  // The preview is every voxel whose class the edit changed (the change also lists voxels it only made human-set).
  const sorted = (a: Iterable<number>): number[] => [...a].sort((x, y) => x - y);
  expect(sorted(p.indices)).toEqual(sorted([...change.indices].filter((i) => before[i] !== after[i])));
  p.indices.forEach((i, n) => expect(after[i]).toBe(p.values[n]));
  mirror(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
  expect(Buffer.from(await labelsOf(s)).equals(Buffer.from(before)), 'one undo step restores it').toBe(true);
  mirror(s.mirror, await call<LabelChange>('labels.redo', { volumeId: s.volumeId }));
  return { before, after };
}

/** scipy.ndimage on a mask of the labels (x fastest): the reference shapes. */
function scipy(op: string, labels: Uint8Array, cls: number, mm: number): Uint8Array {
  const code = String.raw`
import json, sys, base64
import numpy as np
from scipy import ndimage as ndi
a = json.load(sys.stdin)
nx, ny, nz = a["dims"]; sp = np.array(a["spacing"])
m = (np.frombuffer(base64.b64decode(a["labels"]), np.uint8).reshape(nz, ny, nx).transpose(2, 1, 0) == a["cls"])
mm = a["mm"]; op = a["op"]
r = np.floor(mm / sp).astype(int)
g = np.mgrid[-r[0]:r[0]+1, -r[1]:r[1]+1, -r[2]:r[2]+1]
ball = (g[0]*sp[0])**2 + (g[1]*sp[1])**2 + (g[2]*sp[2])**2 <= mm*mm + 1e-9
if op == "grow": out = ndi.distance_transform_edt(~m, sampling=sp) <= mm + 1e-9
elif op == "shrink": out = ndi.distance_transform_edt(m, sampling=sp) > mm + 1e-9
elif op == "opening": out = ndi.binary_opening(m, structure=ball)
elif op == "closing": out = ndi.binary_closing(m, structure=ball)
elif op == "median": out = ndi.median_filter(m.astype(np.uint8), footprint=ball, mode="constant") > 0
print(json.dumps(base64.b64encode(out.transpose(2, 1, 0).astype(np.uint8).tobytes()).decode()))
`;
  const b64 = pythonJson<string>(code, { dims, spacing: ct.spacing, labels: Buffer.from(labels).toString('base64'), cls, mm, op });
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Voxels at least `d` voxels from every face of the volume (scipy pads the border differently). */
const interior = (i: number, d: number): boolean => {
  const [nx, ny, nz] = dims;
  const x = i % nx;
  const y = Math.floor(i / nx) % ny;
  const z = Math.floor(i / (nx * ny));
  return x >= d && y >= d && z >= d && x < nx - d && y < ny - d && z < nz - d;
};

beforeAll(async () => {
  ws = createWorkstation({
    version: 'test',
    emit: () => {},
    dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
    defaultModelDir: join(REPO_ROOT, 'native-models', 'models', 'demo'),
    sessionsDir: mkdtempSync(join(tmpdir(), 'hsam-helpers-sessions-')),
  });
  ct = await readVolume(CT);
  const seg = await readVolume(SEG);
  expect([seg.dims, seg.origin, seg.direction]).toEqual([ct.dims, ct.origin, ct.direction]);
  ref = seg.voxels as Uint8Array;
  dims = ct.dims;
});
afterAll(() => ws.dispose());

describe('3D helpers on the shared CT, each previewed and one undo step', () => {
  it('margin grows and shrinks the liver by millimetres exactly as scipy’s EDT does, and grows into background only', async () => {
    const s = await study();
    for (const mm of [6, -3, 4.5]) {
      const { before, after } = await previewApply(s, { kind: 'margin', classIndex: LIVER, mm });
      const want = scipy(mm > 0 ? 'grow' : 'shrink', before, LIVER, Math.abs(mm));
      let wrong = 0;
      let changed = 0;
      for (let i = 0; i < after.length; i++) {
        if (after[i] !== before[i]) changed++;
        // Where the rule let it, the liver is scipy's shape; other organs keep their voxels.
        const expected = want[i] ? (before[i] === 0 || before[i] === LIVER ? LIVER : before[i]) : before[i] === LIVER ? 0 : before[i];
        if (after[i] !== expected) wrong++;
      }
      expect(changed).toBeGreaterThan(100);
      expect(wrong).toBe(0);
      expect(countsOf(after).filter((_, n) => ORGANS[n] !== LIVER)).toEqual(countsOf(before).filter((_, n) => ORGANS[n] !== LIVER));
      mirror(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    }
  });

  it('opening, closing and median smooth the liver as scipy.ndimage does (away from the volume’s faces)', async () => {
    const s = await study();
    for (const method of ['opening', 'closing', 'median'] as const) {
      const { before, after } = await previewApply(s, { kind: 'smooth', classIndex: LIVER, method, radiusMm: 6 });
      const want = scipy(method, before, LIVER, 6);
      let wrong = 0;
      let checked = 0;
      for (let i = 0; i < after.length; i++) {
        if (!interior(i, 5) || (before[i] !== 0 && before[i] !== LIVER)) continue;
        checked++;
        if ((after[i] === LIVER ? 1 : 0) !== want[i]) wrong++;
      }
      expect(checked).toBeGreaterThan(10_000);
      expect(wrong).toBe(0);
      if (method === 'opening') expect(count(after, LIVER)).toBeLessThan(count(before, LIVER));
      if (method === 'closing') expect(count(after, LIVER)).toBeGreaterThan(count(before, LIVER));
      expect(countsOf(after).filter((_, n) => ORGANS[n] !== LIVER)).toEqual(countsOf(before).filter((_, n) => ORGANS[n] !== LIVER));
      mirror(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    }
  });

  it('logical operators: union takes the other class, subtract and intersect use its enclosed region', async () => {
    const s = await study();
    const { before, after } = await previewApply(s, { kind: 'logical', classIndex: LIVER, op: 'union', other: SPLEEN });
    expect(count(after, SPLEEN)).toBe(0);
    expect(count(after, LIVER)).toBe(count(before, LIVER) + count(before, SPLEEN));
    mirror(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    // A "lesion" of spleen class painted inside the liver: subtracting the liver's region erases it, intersect keeps it.
    const [nx, ny] = dims;
    let centre = -1;
    for (let i = 0; i < ref.length && centre < 0; i++) {
      const near = [1, -1, nx, -nx, nx * ny, -nx * ny, 2, -2, 2 * nx, -2 * nx];
      if (ref[i] === LIVER && near.every((d) => ref[i + d] === LIVER)) centre = i;
    }
    expect(centre).toBeGreaterThan(0);
    const lesion = Uint32Array.from([centre, centre + 1, centre + nx]);
    mirror(s.mirror, await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: lesion, value: SPLEEN, paintOver: 'all' }));
    const spleenVoxels = count(s.mirror, SPLEEN);
    const sub = await previewApply(s, { kind: 'logical', classIndex: SPLEEN, op: 'subtract', other: LIVER });
    expect([...lesion].map((i) => sub.after[i])).toEqual([0, 0, 0]);
    expect(count(sub.after, SPLEEN)).toBe(spleenVoxels - 3);
    mirror(s.mirror, await call<LabelChange>('labels.undo', { volumeId: s.volumeId }));
    const inter = await previewApply(s, { kind: 'logical', classIndex: SPLEEN, op: 'intersect', other: LIVER });
    expect([...lesion].map((i) => inter.after[i])).toEqual([SPLEEN, SPLEEN, SPLEEN]);
    expect(count(inter.after, SPLEEN)).toBe(3);
  });

  it('fill between slices takes every labelled slice as a key slice and fills only background between them', async () => {
    const s = await study();
    const per = dims[0] * dims[1];
    // Erase the right kidney (slices 0–18) on slices 8–10 and 14 (two gaps), as if only some slices were drawn.
    const erase: number[] = [];
    for (const z of [8, 9, 10, 14]) for (let i = z * per; i < (z + 1) * per; i++) if (ref[i] === KIDNEY_R) erase.push(i);
    expect(erase.length).toBeGreaterThan(50);
    mirror(s.mirror, await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: Uint32Array.from(erase), value: 0 }));
    const { before, after } = await previewApply(s, { kind: 'fill-between', classIndex: KIDNEY_R, axis: 2 });
    const filled = [...after.keys()].filter((i) => after[i] !== before[i]);
    const zs = new Set(filled.map((i) => Math.floor(i / per)));
    expect(zs).toEqual(new Set([8, 9, 10, 14]));
    expect(filled.every((i) => before[i] === 0 && after[i] === KIDNEY_R)).toBe(true);
    // Shape-based interpolation recovers most of the erased kidney.
    const back = erase.filter((i) => after[i] === KIDNEY_R).length;
    expect(back / erase.length).toBeGreaterThan(0.7);
  });
});

describe('the brush obeys the paint-over rule and the editable range', () => {
  it('a liver dab over the right kidney leaves every other class unchanged by default', async () => {
    const s = await study();
    const kidney: number[] = [];
    ref.forEach((x, i) => x === KIDNEY_R && kidney.push(i));
    const dab = Uint32Array.from(kidney.slice(0, 200));
    const before = countsOf(s.mirror);
    const c = await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: dab, value: LIVER });
    expect(c.indices.length).toBe(0);
    expect(countsOf(await labelsOf(s))).toEqual(before);
    // 'background' as well; a chosen label or 'all' lets it through.
    expect((await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: dab, value: LIVER, paintOver: 'background' })).indices.length).toBe(0);
    expect((await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: dab, value: LIVER, paintOver: { label: SPLEEN } })).indices.length).toBe(0);
    const over = await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: dab, value: LIVER, paintOver: { label: KIDNEY_R } });
    expect(over.indices.length).toBe(200);
  });

  it('voxels outside the editable range are never changed, by the brush or by a tool', async () => {
    const s = await study();
    const per = dims[0] * dims[1];
    const slice = Uint32Array.from({ length: per }, (_, p) => 15 * per + p);
    const range: [number, number] = [-50, 50];
    const c = await call<LabelChange>('labels.paint', { volumeId: s.volumeId, indices: slice, value: SPLEEN, paintOver: 'all', editable: range });
    expect(c.indices.length).toBeGreaterThan(100);
    expect([...c.indices].every((i) => ct.voxels[i]! >= -50 && ct.voxels[i]! <= 50)).toBe(true);
    const outside = [...slice].filter((i) => ct.voxels[i]! < -50 || ct.voxels[i]! > 50).length;
    expect(c.indices.length).toBeLessThanOrEqual(per - outside);
    mirror(s.mirror, c);
    const before = await labelsOf(s);
    const { after } = await previewApply(s, { kind: 'margin', classIndex: SPLEEN, mm: 3, paintOver: 'all', editable: range });
    const changed = [...after.keys()].filter((i) => after[i] !== before[i]);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((i) => ct.voxels[i]! >= -50 && ct.voxels[i]! <= 50)).toBe(true);
  });
});

describe('segment statistics', () => {
  it('volume, mean and SD HU and extent per class match numpy on the files', async () => {
    const s = await study();
    const { segments } = await call<{ segments: SegmentStatistics[] }>('labels.statistics', { volumeId: s.volumeId });
    const code = String.raw`
import json, sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin)
ct = nib.load(a["ct"]); seg = np.asanyarray(nib.load(a["seg"]).dataobj).astype(int); img = np.asanyarray(ct.dataobj).astype(np.float64)
vox = float(np.prod(ct.header.get_zooms()[:3])) / 1000
out = {}
for c in a["classes"]:
    m = seg == c; idx = np.argwhere(m)
    out[str(c)] = dict(voxels=int(m.sum()), ml=float(m.sum() * vox), mean=float(img[m].mean()), sd=float(img[m].std()),
                       min=idx.min(0).tolist(), max=idx.max(0).tolist())
print(json.dumps(out))
`;
    const want = pythonJson<Record<string, { voxels: number; ml: number; mean: number; sd: number; min: number[]; max: number[] }>>(code, { ct: CT, seg: SEG, classes: ORGANS });
    expect(segments.map((x) => x.classIndex)).toEqual(ORGANS);
    for (const g of segments) {
      const w = want[String(g.classIndex)]!;
      expect(g.voxels).toBe(w.voxels);
      expect(g.volumeMl).toBeCloseTo(w.ml, 6);
      expect(g.meanIntensity).toBeCloseTo(w.mean, 6);
      expect(g.sdIntensity).toBeCloseTo(w.sd, 4);
      expect([...g.min]).toEqual(w.min);
      expect([...g.max]).toEqual(w.max);
      expect(g.extentMm[0]).toBeCloseTo((w.max[0]! - w.min[0]! + 1) * ct.spacing[0], 6);
    }
  });
});
