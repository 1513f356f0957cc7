/**
 * Safe corrections in the real renderer on the sample CT (issue 17): with the default
 * paint-over rule ('nothing') the brush, region grow and fill between slices leave every other
 * class's voxels where they were; grow, fill and the 3D helpers show a preview that Escape
 * drops and Enter applies as one undo step; the brush footprint follows the pointer and the
 * readout names the label under it. Counts are main's labels, read through the app's API.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVolume } from '../electron/services/imaging/read-volume.js';
import { TOTALSEG } from '../test-support/paths.js';
import { openSession, type Session } from './fixtures.js';
import { ToolsPanel } from './pages/tools-panel.js';
import type { WorkstationPage } from './pages/workstation.js';

const LIVER = 5;
const SPLEEN = 1;
const K = 15;

let session: Session;
let page: Page;
let ws: WorkstationPage;
let tools: ToolsPanel;
let dims: readonly [number, number, number];
/** A voxel deep inside the reference liver on slice K. */
let deep: [number, number, number];

const labels = async (): Promise<Uint8Array> => (await ws.labels()).labels;
const count = (l: Uint8Array, c: number): number => l.reduce((n, x) => n + (x === c ? 1 : 0), 0);
const countsBut = (l: Uint8Array, skip: number): number[] => {
  const c = new Array<number>(256).fill(0);
  for (const v of l) c[v]!++;
  c[skip] = 0;
  c[0] = 0;
  return c;
};
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const kOf = (n: number): number => Math.floor(n / (dims[0] * dims[1]));

/** Wait until main's labels differ from `from` and stop changing, then return them. */
async function changedFrom(from: Uint8Array): Promise<Uint8Array> {
  await expect.poll(async () => same(from, await labels()), { timeout: 20_000 }).toBe(false);
  let last = await labels();
  for (;;) {
    await page.waitForTimeout(300);
    const now = await labels();
    if (same(last, now)) return now;
    last = now;
  }
}

async function undoTo(expected: Uint8Array): Promise<void> {
  await page.keyboard.press('Control+z');
  await expect.poll(async () => same(expected, await labels()), { timeout: 15_000 }).toBe(true);
}

async function scrollTo(k: number): Promise<void> {
  await ws.scroll((await ws.currentSlice('axial')) - k, 'axial');
  await expect.poll(() => ws.currentSlice('axial')).toBe(k);
}

const select = (name: string): Promise<void> => page.getByTestId(`segment-${name}`).getByTestId('segment-select').click();

beforeAll(async () => {
  const seg = await readVolume(join(TOTALSEG, 'example_seg.nii.gz'));
  dims = seg.dims;
  const ref = seg.voxels as Uint8Array;
  // The reference liver voxel of slice K farthest from its slice-K boundary (Chebyshev rings).
  const [nx, ny] = dims;
  const isLiver = (i: number, j: number): boolean => i >= 0 && j >= 0 && i < nx && j < ny && ref[i + nx * (j + ny * K)] === LIVER;
  let best: [number, number, number] = [0, 0, K];
  let bestR = -1;
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      let r = 0;
      while (isLiver(i, j) && [...Array(2 * r + 3).keys()].every((d) => isLiver(i - r - 1 + d, j - r - 1) && isLiver(i - r - 1 + d, j + r + 1) && isLiver(i - r - 1, j - r - 1 + d) && isLiver(i + r + 1, j - r - 1 + d))) r++;
      if (isLiver(i, j) && r > bestR) [best, bestR] = [[i, j, K], r];
    }
  expect(bestR).toBeGreaterThanOrEqual(3);
  deep = best;
  session = await openSession({ width: 1300, height: 950 });
  ({ page, ws } = session);
  tools = new ToolsPanel(page, ws);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
  await page.getByTestId('segment-list').waitFor({ timeout: 30_000 });
  const view3d = page.getByTestId('view-3d');
  await view3d.getByTestId('surfaces-toggle').setChecked(false);
}, 120_000);

afterAll(() => session?.close());

describe('feedback under the pointer', () => {
  it('the brush footprint follows the pointer at the brush radius, and the readout names the label under it', async () => {
    await scrollTo(K);
    await select('liver');
    await page.keyboard.press('b');
    expect(await tools.control('paint-over').inputValue()).toBe('nothing');
    const [x, y] = await tools.pointOf('axial', deep);
    await page.mouse.move(x, y);
    const footprint = ws.axialView.getByTestId('brush-footprint');
    await footprint.waitFor();
    const r5 = Number(await footprint.getAttribute('data-r'));
    expect(r5).toBeGreaterThan(2);
    const circle = await footprint.boundingBox();
    expect(Math.abs(circle!.x + circle!.width / 2 - x)).toBeLessThan(2);
    expect(Math.abs(circle!.y + circle!.height / 2 - y)).toBeLessThan(2);
    await page.keyboard.press(']');
    await page.keyboard.press(']');
    await page.mouse.move(x + 1, y);
    // 7 mm instead of 5 mm: the circle grows in proportion.
    await expect.poll(async () => Number(await footprint.getAttribute('data-r')) / r5).toBeCloseTo(7 / 5, 1);
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    expect(await page.getByTestId('readout-label').textContent()).toBe('background');
    // The other views show it too when the pointer is over them.
    await ws.view('coronal').hover();
    await ws.view('coronal').getByTestId('brush-footprint').waitFor();
    expect(await ws.axialView.getByTestId('brush-footprint').count()).toBe(0);
    await page.keyboard.press('n');
    await page.mouse.move(x, y);
    expect(await ws.axialView.getByTestId('brush-footprint').count()).toBe(0);
  });
});

describe('on painted labels', () => {
  it('fill between slices previews, Escape cancels, Enter fills the gaps (one undo step) and never covers the spleen', async () => {
    const empty = await labels();
    await select('liver');
    await page.keyboard.press('b');
    // Liver dabs of 10 mm on the key slices, a spleen dab of 5 mm on the middle slice between them.
    for (let n = 0; n < 5; n++) await page.keyboard.press(']');
    for (const k of [K - 3, K + 3]) {
      await scrollTo(k);
      await tools.clickVoxel('axial', [deep[0], deep[1], k]);
    }
    for (let n = 0; n < 5; n++) await page.keyboard.press('[');
    await scrollTo(K);
    await select('spleen');
    await tools.clickVoxel('axial', deep);
    await expect.poll(async () => count(await labels(), SPLEEN), { timeout: 15_000 }).toBeGreaterThan(0);
    const painted = await changedFrom(empty);
    expect(new Set([...painted.keys()].filter((n) => painted[n] === LIVER).map(kOf))).toEqual(new Set([K - 3, K + 3]));
    await select('liver');
    await page.keyboard.press('n');

    await tools.control('fill-between').click();
    await tools.control('tool-preview').waitFor();
    expect(await tools.control('preview-summary').textContent()).toMatch(/^Fill between slices: \+\d+/);
    expect(same(await labels(), painted), 'a preview changes nothing').toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => tools.control('tool-preview').count()).toBe(0);
    expect(same(await labels(), painted)).toBe(true);

    await tools.control('fill-between').click();
    await tools.control('tool-preview').waitFor();
    await page.keyboard.press('Enter');
    const filled = await changedFrom(painted);
    const added = [...filled.keys()].filter((n) => filled[n] !== painted[n]);
    expect(new Set(added.map(kOf))).toEqual(new Set([K - 2, K - 1, K, K + 1, K + 2]));
    expect(added.every((n) => painted[n] === 0 && filled[n] === LIVER)).toBe(true);
    // The default rule: the spleen dab on slice K keeps every voxel.
    expect(count(filled, SPLEEN)).toBe(count(painted, SPLEEN));
    await undoTo(painted);
    await undoTo(painted.map((v) => (v === SPLEEN ? 0 : v)));
    // The two liver dabs were two strokes.
    await page.keyboard.press('Control+z');
    await undoTo(empty);
  });
});

describe('on the model proposal', () => {
  let proposal: Uint8Array;

  it('the model proposes', async () => {
    await page.getByTestId('auto-segment').click({ timeout: 90_000 });
    await expect.poll(() => page.getByTestId('last-run').textContent(), { timeout: 120_000 }).toMatch(/^30\/30 slices in/);
    proposal = await labels();
    expect(count(proposal, LIVER)).toBeGreaterThan(1000);
  }, 200_000);

  it('a liver brush stroke across the slice leaves every other class’s voxel count unchanged', async () => {
    await select('liver');
    await page.keyboard.press('b');
    for (let n = 0; n < 5; n++) await page.keyboard.press(']');
    await ws.dragIn('axial', [0.2, 0.5], [0.8, 0.5], { steps: 16 });
    const painted = await changedFrom(proposal);
    expect(count(painted, LIVER)).toBeGreaterThan(count(proposal, LIVER));
    expect(countsBut(painted, LIVER)).toEqual(countsBut(proposal, LIVER));
    await undoTo(proposal);
    // With "all labels" the same stroke does take other organs' voxels.
    await tools.control('paint-over').selectOption('all');
    await ws.dragIn('axial', [0.2, 0.5], [0.8, 0.5], { steps: 16 });
    const over = await changedFrom(proposal);
    expect(countsBut(over, LIVER)).not.toEqual(countsBut(proposal, LIVER));
    await undoTo(proposal);
    await tools.control('paint-over').selectOption('nothing');
    for (let n = 0; n < 5; n++) await page.keyboard.press('[');
  });

  it('region grow previews from its seed, follows a new tolerance, Escape drops it, Enter applies it without touching other organs', async () => {
    await page.keyboard.press('g');
    await tools.control('grow-3d').check();
    await tools.setNumber('grow-tolerance', 150);
    await tools.clickVoxel('axial', deep);
    await tools.control('tool-preview').waitFor();
    const summary = tools.control('preview-summary');
    await expect.poll(() => summary.textContent()).toMatch(/^Region grow: \+[1-9]/);
    const wide = await summary.textContent();
    expect(same(await labels(), proposal), 'a preview changes nothing').toBe(true);
    // A new tolerance re-grows from the same seed, live.
    await tools.control('grow-tolerance').fill('20');
    await expect.poll(() => summary.textContent()).not.toBe(wide);
    const narrow = await summary.textContent();
    // Keys typed in a number field stay there: leave it first.
    await tools.control('grow-tolerance').blur();
    const voxels = (t: string | null): number => Number(/\+([\d,]+)/.exec(t ?? '')?.[1]?.replaceAll(',', ''));
    expect(voxels(narrow)).toBeLessThan(voxels(wide));
    await page.keyboard.press('Escape');
    await expect.poll(() => tools.control('tool-preview').count()).toBe(0);
    expect(same(await labels(), proposal)).toBe(true);

    await tools.setNumber('grow-tolerance', 150);
    await tools.clickVoxel('axial', deep);
    await expect.poll(() => summary.textContent()).toBe(wide);
    await page.keyboard.press('Enter');
    const grown = await changedFrom(proposal);
    expect(count(grown, LIVER) - count(proposal, LIVER)).toBe(voxels(wide));
    // One click at ±150 HU in 3D floods far past the liver, yet every other organ keeps its voxels.
    expect(countsBut(grown, LIVER)).toEqual(countsBut(proposal, LIVER));
    await undoTo(proposal);
    await tools.control('grow-3d').uncheck();
  });

  it('a 3D helper (margin) previews, and Enter applies it as one undo step', async () => {
    await page.keyboard.press('n');
    await tools.setNumber('margin-mm', 6);
    await tools.control('margin-grow').click();
    await tools.control('tool-preview').waitFor();
    expect(same(await labels(), proposal)).toBe(true);
    await tools.control('preview-apply').click();
    const grown = await changedFrom(proposal);
    expect(count(grown, LIVER)).toBeGreaterThan(count(proposal, LIVER));
    expect(countsBut(grown, LIVER)).toEqual(countsBut(proposal, LIVER));
    await undoTo(proposal);
    expect(session.problems).toEqual([]);
  });
});

describe('keyboard help', () => {
  it('? lists every command with its key (from the registry that runs them); Escape closes it', async () => {
    await ws.axialView.hover();
    await page.keyboard.press('?');
    const help = page.getByTestId('keyboard-help');
    await help.waitFor();
    expect(await help.getByTestId('help-tool.brush').textContent()).toMatch(/^B\s*Brush tool/);
    expect(await help.getByTestId('help-preview.apply').textContent()).toMatch(/^Enter\s*Apply the preview/);
    expect(await help.getByTestId('help-redo').textContent()).toMatch(/^Ctrl\+Shift\+Z or Ctrl\+Y/);
    expect(await help.getByTestId('help-view.preset').textContent()).toMatch(/^1–9/);
    expect(await help.locator('tr').count()).toBeGreaterThan(25);
    await page.keyboard.press('Escape');
    await expect.poll(() => help.count()).toBe(0);
    // The toolbar's tooltips come from the same table.
    expect(await page.getByTestId('tool-brush').getAttribute('title')).toMatch(/^Brush \(B\)/);
  });
});
