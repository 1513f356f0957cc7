/**
 * The 3D view in the real renderer: the volume rendered through its preset, the label surfaces
 * in the classes' colours after a model run, hidden with the segment list's toggle, and updated
 * after a brush dab, with the time that update took (the benchmark figure "3D surface update time
 * for one class after an edit", target ≤ 300 ms) read from the view. Screenshots go to a temporary
 * folder whose path is printed, to look at.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../test-support/paths.js';
import { encodeNifti1 } from '../electron/services/imaging/nifti-write.js';
import type { TestHost } from './host/test-host.js';
import { openSession, type Session } from './fixtures.js';
import { changedPixels, countShades, isShadeOf, VolumeViewPage, type Rgb, type SurfaceUpdate } from './pages/volume-view.js';
import type { WorkstationPage } from './pages/workstation.js';

// Model card colours of the demo model.
const LIVER = { index: 5, colour: [221, 130, 101] as Rgb };
const AORTA = { index: 7, colour: [213, 40, 40] as Rgb };

const shots = mkdtempSync(join(tmpdir(), 'hsam-e2e-3d-'));
let session: Session;
let host: TestHost;
let page: Page;
let ws: WorkstationPage;
let view3d: VolumeViewPage;

beforeAll(async () => {
  session = await openSession({ width: 1280, height: 900 });
  ({ host, page, ws } = session);
  view3d = new VolumeViewPage(page);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
  await page.getByTestId('segment-list').waitFor({ timeout: 30_000 });
  console.log(`3D view screenshots in ${shots}`);
});

afterAll(() => session?.close());

/** Click once with the brush on the axial view, at a point given as fractions of its size. */
async function dab(at: [number, number]): Promise<void> {
  const box = await ws.axialView.boundingBox();
  if (!box) throw new Error('no axial view');
  await page.mouse.click(box.x + box.width * at[0], box.y + box.height * at[1]);
}

/**
 * Dab with the brush (a 5 mm sphere) in a class at several points; the surface updates they
 * caused, with their timings. A dab that changes no voxel (the class was already there) causes
 * none and is skipped after a few seconds.
 */
async function timedDabs(className: string, points: [number, number][]): Promise<SurfaceUpdate[]> {
  await page.keyboard.press('b');
  const shape = page.getByTestId('brush-shape');
  if ((await shape.getAttribute('aria-pressed')) !== 'true') await shape.click();
  await expect.poll(() => shape.getAttribute('aria-pressed')).toBe('true');
  await page.getByTestId(`segment-${className}`).getByTestId('segment-select').click();
  const updates: SurfaceUpdate[] = [];
  for (const p of points) {
    const before = (await view3d.update()).count;
    await dab(p);
    const u = await view3d.nextUpdate(before, 10_000).catch(() => null);
    if (u) updates.push(u);
    // The second version bump (main's acknowledgement) changes nothing: let it pass.
    await page.waitForTimeout(150);
  }
  return updates;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const summary = (us: SurfaceUpdate[]): string =>
  us.map((u) => `${u.ms.toFixed(0)} ms (diff ${u.diffMs}, extract ${u.extractMs}, render ${u.renderMs}; ${u.bricks} bricks, classes ${u.classes.join(',')})`).join('; ');

describe('3D view of the sample CT', () => {
  it('starts without volume rendering on software graphics, and says why', async () => {
    // This Chromium draws with SwiftShader (no GPU on the test machines).
    const toggle = view3d.root.getByTestId('volume-toggle');
    expect(await view3d.root.getAttribute('data-volume')).toBe('false');
    expect(await toggle.isChecked()).toBe(false);
    expect(await toggle.locator('xpath=..').getAttribute('title')).toMatch(/^Volume rendering starts off with software graphics \(.*SwiftShader.*\)/);
    // Not uploaded, not timed.
    expect(await view3d.root.getAttribute('data-volume-frame-ms')).toBe('');
  });

  it('renders the volume through the CT soft-tissue preset when ticked, and times a frame', async () => {
    await view3d.showVolume(true);
    const frameMs = Number(await view3d.root.getAttribute('data-volume-frame-ms'));
    console.log(`sample 122×101×30, one volume-rendered frame: ${frameMs} ms`);
    expect(frameMs).toBeGreaterThan(0);
    // The user's choice wins over the measured frame.
    expect(await view3d.root.getAttribute('data-volume')).toBe('true');
    expect(await view3d.root.getByTestId('volume-toggle').locator('xpath=..').getAttribute('title')).toBe(`Show the volume rendering (a frame took ${frameMs} ms here)`);
    expect(await view3d.root.getAttribute('data-volume-preset')).toBe('ct-soft-tissue');
    await expect.poll(async () => (await view3d.pixelStats()).levels, { timeout: 20_000 }).toBeGreaterThan(40);
    const stats = await view3d.pixelStats();
    expect(stats.lit).toBeGreaterThan(0.05);
    expect(stats.std).toBeGreaterThan(8);
    await view3d.screenshot(join(shots, '1-volume.png'));
  });

  it('after Auto-segment the label surfaces show in the classes’ colours', async () => {
    const before = (await view3d.update()).count;
    await page.getByTestId('auto-segment').click();
    await expect.poll(() => page.getByTestId('last-run').textContent(), { timeout: 90_000 }).toMatch(/^30\/30 slices in/);
    // The run's labels reach the surfaces batch by batch as they appear (like any edit), not as one rebuild at the end.
    const u = await view3d.waitForUpdate((x) => x.count > before && x.classes.includes(LIVER.index), 60_000);
    console.log(`surface update with the liver during the model run: ${u.ms.toFixed(0)} ms (extract ${u.extractMs} ms, ${u.bricks} bricks, full ${u.full}, classes ${u.classes.join(',')})`);
    await view3d.screenshot(join(shots, '2-volume-and-surfaces.png'));
    await view3d.showVolume(false);
    const liverShare = async (): Promise<number> => {
      const png = await view3d.screenshot(join(shots, '3-surfaces.png'));
      return countShades(png, LIVER.colour) / (png.width * png.height);
    };
    await expect.poll(liverShare, { timeout: 30_000 }).toBeGreaterThan(0.02);
  }, 240_000);

  it('hiding a class in the segment list removes its surface from the 3D view', async () => {
    const shown = await view3d.screenshot();
    const toggle = page.getByTestId('segment-liver').getByTestId('segment-visibility');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('false');
    await page.waitForTimeout(300);
    const hidden = await view3d.screenshot(join(shots, '4-liver-hidden.png'));
    const changed = changedPixels(shown, hidden);
    expect(changed.length / (shown.width * shown.height)).toBeGreaterThan(0.02);
    // What went away was liver-coloured.
    expect(changed.filter((i) => isShadeOf(shown, i, LIVER.colour)).length / changed.length).toBeGreaterThan(0.8);
    // …and what shows there now mostly is not (the right kidney behind it has a similar colour).
    expect(changed.filter((i) => isShadeOf(hidden, i, LIVER.colour)).length / changed.length).toBeLessThan(0.35);
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true');
  });

  it('a brush dab updates only its class’s surface, and the update time is published', async () => {
    const before = await view3d.screenshot();
    // In the air in front of the body (the axial view's top corners): labelled background by any
    // model, and in front of every organ as the 3D camera (from the front) sees it.
    const updates = await timedDabs('aorta', [
      [0.1, 0.1],
      [0.1, 0.2],
      [0.9, 0.1],
      [0.9, 0.2],
      [0.15, 0.06],
    ]);
    console.log(`sample 122×101×30, one class after a dab: median ${median(updates.map((u) => u.ms)).toFixed(0)} ms: ${summary(updates)}`);
    expect(updates.length).toBe(5);
    for (const u of updates) {
      expect(u.full).toBe(false);
      expect(u.classes).toContain(AORTA.index);
      expect(u.ms).toBeGreaterThan(0);
      expect(u.ms).toBeLessThan(3000);
    }
    const after = await view3d.screenshot(join(shots, '5-after-dabs.png'));
    expect(countShades(after, AORTA.colour)).toBeGreaterThan(countShades(before, AORTA.colour) + 100);
    // No developer timings on screen once the surfaces are up (issue 16).
    await expect.poll(() => view3d.root.getByTestId('surface-time').count()).toBe(0);
  }, 120_000);

  it('hidden surfaces do no work while edits go on, and catch up in one update when shown', async () => {
    const toggle = view3d.root.getByTestId('surfaces-toggle');
    await toggle.setChecked(false);
    const before = await view3d.update();
    // Aorta dabs in the air again, on voxels not painted yet; long enough apart for the layer to
    // have followed each one (300 ms after a stroke) had it been shown.
    for (const p of [[0.2, 0.08], [0.8, 0.08]] as [number, number][]) {
      await dab(p);
      await page.waitForTimeout(1000);
    }
    const hidden = await view3d.update();
    expect(hidden.count).toBe(before.count);
    expect(hidden.busy).toBe(false);
    await toggle.setChecked(true);
    const caught = await view3d.waitForUpdate((u) => u.count > before.count, 10_000);
    expect(caught.count).toBe(before.count + 1);
    expect(caught.full).toBe(false);
    expect(caught.classes).toEqual([AORTA.index]);
  }, 60_000);

  it('a stroke after a pause sends nothing to the surfaces until it ends, then one update', async () => {
    const before = await view3d.update();
    expect(before.busy).toBe(false);
    const box = await ws.axialView.boundingBox();
    if (!box) throw new Error('no axial view');
    const at = (fx: number, fy: number): [number, number] => [box.x + box.width * fx, box.y + box.height * fy];
    // Aorta in the air in front of the body again, on a row not painted yet; slow enough for a
    // dab sent at once to come back as an update before the stroke ends.
    await page.mouse.move(...at(0.3, 0.04));
    await page.mouse.down();
    for (let m = 1; m <= 6; m++) {
      await page.mouse.move(...at(0.3 + 0.04 * m, 0.04));
      await page.waitForTimeout(250);
    }
    const during = await view3d.update();
    await page.mouse.up();
    expect(during.count).toBe(before.count);
    expect(during.busy).toBe(true); // changes wait for the stroke to end
    const after = await view3d.waitForUpdate((u) => u.count > before.count, 10_000);
    expect(after.count).toBe(before.count + 1);
    expect(after.classes).toEqual([AORTA.index]);
  }, 60_000);

  it('had no console errors', () => {
    expect(session.problems).toEqual([]);
  });
});

describe('3D view of the 512×512×20 DICOM series', () => {
  it('opens, segments, and times a dab', async () => {
    host.dialogAnswers.push(join(TOTALSEG, 'example_ct_dicom'));
    await page.getByTestId('open-folder').click();
    const picker = page.getByTestId('series-picker');
    await expect.poll(() => picker.isVisible(), { timeout: 30_000 }).toBe(true);
    await picker.getByTestId('open-series').click();
    await expect.poll(() => page.getByTestId('dims').textContent(), { timeout: 60_000 }).toBe('512 × 512 × 20 voxels');
    // The switch outlasts the study: the sample's test turned the volume off.
    expect(await view3d.root.getAttribute('data-volume')).toBe('false');
    await view3d.showVolume(true);
    await expect.poll(async () => (await view3d.pixelStats()).levels, { timeout: 30_000 }).toBeGreaterThan(40);
    await view3d.screenshot(join(shots, '6-dicom-volume.png'));
    const before = (await view3d.update()).count;
    await page.getByTestId('auto-segment').click();
    await expect.poll(() => page.getByTestId('last-run').textContent(), { timeout: 180_000 }).toMatch(/^20\/20 slices in/);
    // The run reaches the surfaces as its change (like any large edit), not as a reloaded label volume.
    const u = await view3d.waitForUpdate((x) => x.count > before && x.classes.includes(LIVER.index), 60_000);
    console.log(`DICOM surfaces after the run: ${u.ms.toFixed(0)} ms (extract ${u.extractMs} ms, ${u.bricks} bricks, full ${u.full})`);
    await view3d.screenshot(join(shots, '7-dicom-surfaces.png'));
    // Grow the liver where it is (the patient's right, screen left).
    const updates = await timedDabs('liver', [
      [0.2, 0.35],
      [0.22, 0.4],
      [0.24, 0.45],
      [0.26, 0.5],
      [0.28, 0.55],
      [0.3, 0.6],
    ]);
    expect(updates.length).toBeGreaterThanOrEqual(3);
    for (const u of updates) expect(u.classes).toContain(LIVER.index);
    console.log(`DICOM 512×512×20, one class after a dab: median ${median(updates.map((x) => x.ms)).toFixed(0)} ms: ${summary(updates)}`);
    await view3d.screenshot(join(shots, '8-dicom-after-dabs.png'));
    // The same without the volume rendering, which a software renderer (SwiftShader) draws slowly.
    await view3d.showVolume(false);
    const bare = await timedDabs('liver', [
      [0.21, 0.37],
      [0.23, 0.42],
      [0.25, 0.47],
      [0.27, 0.52],
      [0.29, 0.57],
    ]);
    console.log(`DICOM 512×512×20, volume hidden, one class after a dab: median ${median(bare.map((x) => x.ms)).toFixed(0)} ms: ${summary(bare)}`);
    expect(session.problems).toEqual([]);
  }, 400_000);
});

/**
 * A CT-sized synthetic study, 512×512×300 int16: an elliptic body of soft tissue with a spine,
 * and an organ-sized ellipsoid (~4.6 M voxels) for the liver's label.
 */
function syntheticCt(path: string): void {
  const [nx, ny, nz] = [512, 512, 300];
  const voxels = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const body = ((i - 256) / 220) ** 2 + ((j - 256) / 160) ** 2 <= 1;
        const spine = (i - 256) ** 2 + (j - 360) ** 2 <= 400;
        voxels[i + nx * (j + ny * k)] = spine ? 700 : body ? 40 + ((i * 7 + j * 13 + k * 17) % 40) : -1000;
      }
    }
  }
  const direction = [1, 0, 0, 0, 1, 0, 0, 0, 1] as const;
  writeFileSync(path, encodeNifti1({ dims: [nx, ny, nz], spacing: [0.78, 0.78, 1], origin: [-200, -200, -150], direction, voxelType: 'int16', voxels }));
}

describe('3D view of a synthetic 512×512×300 CT', () => {
  it('a large edit, then brush dabs on an organ-sized surface (volume rendering off)', async () => {
    // SwiftShader would spend seconds per frame ray-casting 78 M voxels; the surfaces are measured.
    await view3d.showVolume(false);
    const file = join(shots, 'synthetic-512x512x300.nii');
    syntheticCt(file);
    host.dialogAnswers.push(file);
    await page.getByTestId('open-file').click();
    await expect.poll(() => page.getByTestId('dims').textContent(), { timeout: 120_000 }).toBe('512 × 512 × 300 voxels');
    const opened = await view3d.waitForUpdate((x) => x.count >= 1, 120_000);
    console.log(`synthetic: first (empty) surface update ${opened.ms.toFixed(0)} ms`);
    // Label an organ-sized ellipsoid through the API (main journals it), then pull it into the
    // renderer the way a user would see a step come back: undo, then redo.
    const painted = await page.evaluate(async () => {
      type R<T> = { ok: true; value: T } | { ok: false; error: { message: string } };
      const api = (window as unknown as { hsam: { labels: { paint: (a: { volumeId: string; indices: Uint32Array; value: number }) => Promise<R<unknown>> } } }).hsam;
      const volumeId = document.querySelector('[data-volume-id]')?.getAttribute('data-volume-id') ?? '';
      const out: number[] = [];
      for (let k = 60; k < 240; k++) for (let j = 150; j < 350; j++) for (let i = 60; i < 300; i++) {
        if (((i - 180) / 120) ** 2 + ((j - 250) / 100) ** 2 + ((k - 150) / 90) ** 2 <= 1) out.push(i + 512 * (j + 512 * k));
      }
      const r = await api.labels.paint({ volumeId, indices: Uint32Array.from(out), value: 5 });
      if (!r.ok) throw new Error(r.error.message);
      return out.length;
    });
    await page.keyboard.press('Control+z');
    await page.waitForTimeout(3000);
    const before = (await view3d.update()).count;
    await page.keyboard.press('Control+Shift+Z');
    const big = await view3d.waitForUpdate((x) => x.count > before && x.classes.includes(LIVER.index), 120_000);
    console.log(
      `synthetic: edit of ${painted} voxels: ${big.ms.toFixed(0)} ms (diff ${big.diffMs}, extract ${big.extractMs}, render ${big.renderMs}; ${big.bricks} bricks, full ${big.full})`,
    );
    await view3d.screenshot(join(shots, '9-synthetic-surface.png'));
    // Dabs just beside the organ (patient's right of it, screen left in the axial view): each
    // adds liver voxels in a chunk that holds part of the organ's surface.
    const updates = await timedDabs('liver', [
      [0.15, 0.3],
      [0.15, 0.4],
      [0.15, 0.5],
      [0.15, 0.6],
      [0.15, 0.7],
    ]);
    console.log(`synthetic 512×512×300, one class after a dab: median ${median(updates.map((x) => x.ms)).toFixed(0)} ms: ${summary(updates)}`);
    expect(updates.length).toBe(5);
    for (const u of updates) expect(u.classes).toEqual([LIVER.index]);
    await view3d.screenshot(join(shots, '10-synthetic-after-dabs.png'));
    expect(session.problems).toEqual([]);
  }, 600_000);
});
