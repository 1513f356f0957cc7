/**
 * "Model vs human at a glance" in the real renderer on the sample CT (issue 17): after a model
 * run and a brush stroke, the human-edits overlay (D) draws exactly the voxels the stroke changed
 * from the proposal (every drawn pixel lies on one of them, and their extent is the drawing's),
 * in all three views, and undo takes it away; the uncertainty overlay (U) draws the last run's
 * heat map with its legend, goes with its run on undo and comes back on redo, and is there again
 * after a restart; when it cannot be saved (or, after a restart, read), the study's notice bar
 * says so and the labels stand.
 * Screenshots of each state are saved under /tmp for a human to look at.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from './fixtures.js';
import { ToolsPanel } from './pages/tools-panel.js';
import type { Plane, WorkstationPage } from './pages/workstation.js';

const LIVER = 5;
const K = 15;
const [NX, NY] = [122, 101];

let session: Session;
let page: Page;
let ws: WorkstationPage;
let tools: ToolsPanel;
let proposal: Uint8Array;
/** Kept across the restart at the end: the study's labels and the last run's uncertainty live here. */
const sessionsDir = mkdtempSync(join(tmpdir(), 'hsam-e2e-overlay-sessions-'));

const labels = async (): Promise<Uint8Array> => (await ws.labels()).labels;
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const save = (name: string, png: PNG): void => writeFileSync(`/tmp/hsam-overlays-${name}.png`, PNG.sync.write(png));

/** Main's human-edit marks of the open study, through the app's own API (what the data says). */
async function marks(): Promise<Map<number, number>> {
  const { indices, values } = await page.evaluate(async () => {
    type R<T> = { ok: true; value: T } | { ok: false; error: { message: string } };
    type Edited = { edited: { indices: Uint32Array; marks: Uint8Array } };
    const api = (window as unknown as { hsam: { labels: { get: (a: { volumeId: string }) => Promise<R<Edited>> } } }).hsam;
    const r = await api.labels.get({ volumeId: document.querySelector('[data-volume-id]')?.getAttribute('data-volume-id') ?? '' });
    if (!r.ok) throw new Error(r.error.message);
    return { indices: Array.from(r.value.edited.indices), values: Array.from(r.value.edited.marks) };
  });
  return new Map(indices.map((i, n) => [i, values[n]!]));
}

/** Pixels (x, y in the view) that differ by more than 40 in a channel between two shots of one view. */
function changedPixels(a: PNG, b: PNG): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = (y * a.width + x) * 4;
      if ([0, 1, 2].some((c) => Math.abs(a.data[i + c]! - b.data[i + c]!) > 40)) out.push([x, y]);
    }
  }
  return out;
}

/** How many of the pixels are the overlay's magenta (red and blue high, green low). */
const magenta = (png: PNG, px: readonly [number, number][]): number =>
  px.filter(([x, y]) => {
    const i = (y * png.width + x) * 4;
    return png.data[i]! > 200 && png.data[i + 2]! > 200 && png.data[i + 1]! < 120;
  }).length;

/**
 * How many pixels are warm (the heat scale runs yellow to red; the grey CT has red ≈ blue), 40
 * pixels in from the edges, where the orange orientation letters are.
 */
const warmPixels = (png: PNG): number => {
  let n = 0;
  for (let y = 40; y < png.height - 40; y++) {
    for (let x = 40; x < png.width - 40; x++) {
      const i = (y * png.width + x) * 4;
      if (png.data[i]! > png.data[i + 2]! + 40) n++;
    }
  }
  return n;
};

/** A shot of a view with the pointer out of it (no brush footprint, no hover). */
async function shot(plane: Plane): Promise<PNG> {
  await page.mouse.move(2, 2);
  await page.waitForTimeout(300);
  return ws.shot(plane);
}

/** Page coordinates of a voxel's centre in the axial view: midway between where the readout's voxel changes. */
async function voxelCentre(ijk: readonly [number, number, number]): Promise<[number, number]> {
  const [x, y] = await tools.pointOf('axial', ijk);
  const at = async (px: number, py: number): Promise<string> => {
    await page.mouse.move(px, py);
    return (await ws.readout()).ijk.join();
  };
  const want = ijk.join();
  const edge = async (dx: number, dy: number): Promise<number> => {
    let n = 0;
    while (n < 40 && (await at(x + dx * (n + 1), y + dy * (n + 1))) === want) n++;
    return n + 0.5;
  };
  const [l, r, u, d] = [await edge(-1, 0), await edge(1, 0), await edge(0, -1), await edge(0, 1)];
  return [x + (r - l) / 2, y + (d - u) / 2];
}

async function undoTo(expected: Uint8Array): Promise<void> {
  await page.keyboard.press('Control+z');
  await expect.poll(async () => same(expected, await labels()), { timeout: 15_000 }).toBe(true);
}

beforeAll(async () => {
  session = await openSession({ width: 1300, height: 950, sessionsDir });
  ({ page, ws } = session);
  tools = new ToolsPanel(page, ws);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
  await page.getByTestId('segment-list').waitFor({ timeout: 30_000 });
  await page.getByTestId('view-3d').getByTestId('surfaces-toggle').setChecked(false);
  await page.getByTestId('toggle-crosshair').click();
}, 120_000);

afterAll(() => session?.close());

it('the model proposes', async () => {
  await ws.scroll((await ws.currentSlice('axial')) - K, 'axial');
  await expect.poll(() => ws.currentSlice('axial')).toBe(K);
  await page.getByTestId('auto-segment').click({ timeout: 90_000 });
  await expect.poll(() => page.getByTestId('last-run').textContent(), { timeout: 120_000 }).toMatch(/^30\/30 slices in/);
  proposal = await labels();
}, 200_000);

describe('the human-edits overlay', () => {
  it('shows exactly the voxels a brush stroke changed from the proposal, in every view, and undo removes it', async () => {
    await page.keyboard.press('d');
    await expect.poll(() => page.getByTestId('edits-legend').textContent()).toMatch(/no edits yet/);
    const clean = await shot('axial');

    // A liver stroke across the slice (default rule: over background and liver only).
    await page.getByTestId('segment-liver').getByTestId('segment-select').click();
    await page.keyboard.press('b');
    for (let n = 0; n < 3; n++) await page.keyboard.press(']');
    await ws.dragIn('axial', [0.25, 0.55], [0.75, 0.55], { steps: 16 });
    await expect.poll(async () => same(proposal, await labels()), { timeout: 20_000 }).toBe(false);
    await page.keyboard.press('n');
    // Wait until main's labels stop changing (the stroke's last segments).
    let painted = await labels();
    for (;;) {
      await page.waitForTimeout(400);
      const now = await labels();
      if (same(now, painted)) break;
      painted = now;
    }
    const changed = [...painted.keys()].filter((i) => painted[i] !== proposal[i]);
    expect(changed.length).toBeGreaterThan(50);
    expect(changed.every((i) => painted[i] === LIVER && Math.floor(i / (NX * NY)) === K)).toBe(true);
    // The data: marked are exactly the voxels whose class the stroke changed (liver over liver is the proposal).
    const m = await marks();
    expect([...m.keys()].sort((a, b) => a - b)).toEqual(changed);
    expect([...m.values()].every((v) => v === 1)).toBe(true);

    // The screen: every pixel the overlay added lies on a marked voxel, and they span the marked voxels.
    await expect.poll(() => page.getByTestId('edits-legend').textContent()).not.toMatch(/no edits yet/);
    const edited = await shot('axial');
    await page.keyboard.press('d');
    const base = await shot('axial');
    await page.keyboard.press('d');
    save('edits-off', base);
    save('edits-on', edited);
    const box = (await ws.view('axial').boundingBox())!;
    const ijs = changed.map((i) => [i % NX, Math.floor(i / NX) % NY] as const);
    const lo = [Math.min(...ijs.map((v) => v[0])), Math.min(...ijs.map((v) => v[1]))];
    const hi = [Math.max(...ijs.map((v) => v[0])), Math.max(...ijs.map((v) => v[1]))];
    const [ax, ay] = await voxelCentre([lo[0]!, lo[1]!, K]);
    const [bx, by] = await voxelCentre([hi[0]!, hi[1]!, K]);
    const [ox, oy] = await voxelCentre([lo[0]! + 10, lo[1]! + 10, K]);
    // Screen x and y per voxel i and j (the sample's axial view shows i across, j down or up).
    const sx = (ox - ax) / 10;
    const sy = (oy - ay) / 10;
    const marked = new Set(changed);
    const px = changedPixels(base, edited);
    expect(px.length).toBeGreaterThan(50);
    expect(magenta(edited, px) / px.length).toBeGreaterThan(0.8);
    const off = px.filter(([x, y]) => {
      const i = lo[0]! + (x + box.x - ax) / sx;
      const j = lo[1]! + (y + box.y - ay) / sy;
      // A pixel on a voxel's edge may round either way (and screen pixels sit half a pixel off the readout's).
      const [di, dj] = [1.25 / Math.abs(sx), 1.25 / Math.abs(sy)];
      const near = [-di, di].flatMap((u) => [-dj, dj].map((v) => Math.round(i + u) + NX * (Math.round(j + v) + NY * K)));
      return !near.some((v) => marked.has(v));
    });
    expect(off, 'overlay pixels off the marked voxels').toEqual([]);
    const xs = px.map(([x]) => x + box.x);
    const ys = px.map(([, y]) => y + box.y);
    // The drawing spans the marked voxels: its edges half a voxel out from their centres.
    expect(Math.abs(Math.min(...xs) - Math.min(ax, bx) + Math.abs(sx) / 2)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(Math.max(...xs) - Math.max(ax, bx) - Math.abs(sx) / 2)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(Math.min(...ys) - Math.min(ay, by) + Math.abs(sy) / 2)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(Math.max(...ys) - Math.max(ay, by) - Math.abs(sy) / 2)).toBeLessThanOrEqual(1.5);

    // The other two views through a marked voxel show it too; D turns it off there.
    const [ci, cj] = ijs[Math.floor(ijs.length / 2)]!;
    await page.keyboard.press('x');
    await tools.clickVoxel('axial', [ci, cj, K]);
    await page.keyboard.press('x');
    for (const plane of ['coronal', 'sagittal'] as const) {
      const on = await shot(plane);
      await page.keyboard.press('d');
      const plain = await shot(plane);
      await page.keyboard.press('d');
      save(`edits-${plane}`, on);
      expect(magenta(on, changedPixels(plain, on)), plane).toBeGreaterThan(3);
    }

    // An eraser click inside the proposed liver: those voxels show cyan ("erased"), marked 2 in main.
    const inLiver = (i: number, j: number): boolean =>
      [...Array(7).keys()].every((a) => [...Array(7).keys()].every((b) => proposal[i + a - 3 + NX * (j + b - 3 + NY * K)] === LIVER));
    const deep = ijs.length > 0 ? [...Array(NX * NY).keys()].map((n) => [n % NX, Math.floor(n / NX)] as const).find(([i, j]) => i > 3 && j > 3 && i < NX - 4 && j < NY - 4 && inLiver(i, j)) : undefined;
    expect(deep).toBeDefined();
    const strokeOnly = await shot('axial');
    await page.keyboard.press('e');
    await tools.clickVoxel('axial', [deep![0], deep![1], K]);
    await page.keyboard.press('n');
    await expect.poll(async () => [...(await marks()).values()].filter((v) => v === 2).length, { timeout: 15_000 }).toBeGreaterThan(4);
    const erased = await shot('axial');
    save('edits-erased', erased);
    const cyan = changedPixels(strokeOnly, erased).filter(([x, y]) => {
      const i = (y * erased.width + x) * 4;
      return erased.data[i]! < 80 && erased.data[i + 1]! > 180 && erased.data[i + 2]! > 200;
    });
    expect(cyan.length).toBeGreaterThan(10);
    await page.keyboard.press('Control+z');
    await expect.poll(async () => [...(await marks()).values()].filter((v) => v === 2).length, { timeout: 15_000 }).toBe(0);

    // Undo: no marks in main, no overlay on screen.
    await undoTo(proposal);
    expect((await marks()).size).toBe(0);
    await expect.poll(async () => changedPixels(clean, await shot('axial')).length, { timeout: 10_000 }).toBe(0);
    // Redo brings it back, as it was.
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(async () => changedPixels(edited, await shot('axial')).length, { timeout: 10_000 }).toBe(0);
    await undoTo(proposal);
    await page.keyboard.press('d');
    await expect.poll(() => page.getByTestId('edits-legend').count()).toBe(0);
  });
});

describe('the uncertainty overlay', () => {
  it('draws the last run’s heat map over the slice views, with its legend, and U takes it off', async () => {
    for (let n = 0; n < 3; n++) await page.keyboard.press('[');
    const plain = await shot('axial');
    const plainOther = { coronal: await shot('coronal'), sagittal: await shot('sagittal') };
    await page.keyboard.press('u');
    const legend = page.getByTestId('uncertainty-legend');
    await expect.poll(() => legend.textContent()).toMatch(/sure.*unsure/);
    // Unsure voxels turn yellow to red: more red than green or blue, where the grey image was.
    await expect.poll(async () => changedPixels(plain, await shot('axial')).length, { timeout: 15_000 }).toBeGreaterThan(200);
    const heat = await shot('axial');
    save('uncertainty-axial', heat);
    const px = changedPixels(plain, heat);
    const warm = px.filter(([x, y]) => {
      const i = (y * heat.width + x) * 4;
      return heat.data[i]! > heat.data[i + 2]! + 40;
    });
    expect(warm.length / px.length).toBeGreaterThan(0.9);
    for (const plane of ['coronal', 'sagittal'] as const) {
      const other = await shot(plane);
      save(`uncertainty-${plane}`, other);
      expect(changedPixels(plainOther[plane], other).length, plane).toBeGreaterThan(200);
    }
    await page.screenshot({ path: '/tmp/hsam-overlays-window.png' });
    await page.keyboard.press('u');
    await expect.poll(async () => changedPixels(plain, await shot('axial')).length, { timeout: 10_000 }).toBe(0);
    // Both are in the key help ('?'), with their keys.
    await page.keyboard.press('?');
    expect(await page.getByTestId('help-view.edits').textContent()).toMatch(/^D\s*Human edits on or off/);
    expect(await page.getByTestId('help-view.uncertainty').textContent()).toMatch(/^U\s*Uncertainty on or off/);
    await page.keyboard.press('?');
    expect(session.problems).toEqual([]);
  });

  it('goes with its run: undoing the run takes the heat map away, redo brings it back', async () => {
    await page.keyboard.press('u');
    await expect.poll(async () => warmPixels(await shot('axial')), { timeout: 15_000 }).toBeGreaterThan(200);
    // The edits test undid its strokes: the next undo is the model run, which leaves no labels.
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await labels()).every((c) => c === 0), { timeout: 15_000 }).toBe(true);
    await expect.poll(async () => warmPixels(await shot('axial')), { timeout: 15_000 }).toBe(0);
    save('uncertainty-undone', await shot('axial'));
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(async () => same(proposal, await labels()), { timeout: 15_000 }).toBe(true);
    await page.keyboard.press('u');
    const labelsOnly = await shot('axial');
    await page.keyboard.press('u');
    await expect.poll(async () => changedPixels(labelsOnly, await shot('axial')).length, { timeout: 15_000 }).toBeGreaterThan(200);
    await page.keyboard.press('u');
    expect(session.problems).toEqual([]);
  });

  it('is there again after a restart, without a new run', async () => {
    await session.close();
    session = await openSession({ width: 1300, height: 950, sessionsDir });
    ({ page, ws } = session);
    await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
    await page.getByTestId('segment-list').waitFor({ timeout: 30_000 });
    expect(same(proposal, await labels())).toBe(true);
    await page.getByTestId('view-3d').getByTestId('surfaces-toggle').setChecked(false);
    await page.getByTestId('toggle-crosshair').click();
    await ws.scroll((await ws.currentSlice('axial')) - K, 'axial');
    await expect.poll(() => ws.currentSlice('axial')).toBe(K);
    const labelsOnly = await shot('axial');
    await page.keyboard.press('u');
    await expect.poll(() => page.getByTestId('uncertainty-legend').textContent()).toMatch(/sure.*unsure/);
    await expect.poll(async () => changedPixels(labelsOnly, await shot('axial')).length, { timeout: 15_000 }).toBeGreaterThan(200);
    save('uncertainty-restarted', await shot('axial'));
    expect(session.problems).toEqual([]);
  }, 120_000);

  it('when it cannot be saved, the notice bar says so and the run\'s labels stand', async () => {
    // The study's session folder, with a folder where the uncertainty file goes: no write can replace it.
    const [study, ...others] = readdirSync(sessionsDir);
    expect(others).toEqual([]);
    const file = join(sessionsDir, study!, 'uncertainty.bin');
    rmSync(file, { force: true });
    mkdirSync(file);
    await expect.poll(() => page.getByTestId('restored').count()).toBe(0);
    await page.getByTestId('auto-segment').click();
    await expect.poll(() => page.getByTestId('last-run').textContent(), { timeout: 120_000 }).toMatch(/^30\/30 slices in/);
    await expect.poll(() => page.getByTestId('restored').textContent(), { timeout: 15_000 }).toMatch(/uncertainty overlay could not be saved.*labels are saved/);
    expect(same(proposal, await labels())).toBe(true);
    writeFileSync('/tmp/hsam-overlays-uncertainty-not-saved.png', await page.screenshot());
    expect(session.problems).toEqual([]);

    // After a restart the unreadable file is reported too (sent while the study opened): the labels are there.
    await session.close();
    session = await openSession({ width: 1300, height: 950, sessionsDir });
    ({ page, ws } = session);
    await page.getByTestId('segment-list').waitFor({ timeout: 30_000 });
    expect(same(proposal, await labels())).toBe(true);
    await expect.poll(() => page.getByTestId('restored').textContent(), { timeout: 15_000 }).toMatch(/could not be restored.*run the model again/);
    expect(session.problems).toEqual([]);
  }, 200_000);
});
