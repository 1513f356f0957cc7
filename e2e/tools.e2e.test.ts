/**
 * The correction tools in the real renderer on the sample CT: region grow in 2D and 3D, the
 * threshold-limited brush, scissors, fill holes, remove islands, interpolation between two
 * slices and revert to the model's proposal, each undone exactly. What the data says is
 * checked against main's labels and the image's own intensities, voxel by voxel.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVolume } from '../electron/services/imaging/read-volume.js';
import type { VoxelArray } from '../common/contract/volume.js';
import { SAMPLE_PATH } from './host/test-host.js';
import { openSession, type Session } from './fixtures.js';
import { ToolsPanel } from './pages/tools-panel.js';
import type { WorkstationPage } from './pages/workstation.js';

const LIVER = 5;
/** The axial slice the app opens on (the middle of 30). */
const K = 15;

let session: Session;
let page: Page;
let ws: WorkstationPage;
let tools: ToolsPanel;
let image: VoxelArray;
let dims: readonly [number, number, number];
/** The model's proposal, and a voxel deep inside the liver on slice K. */
let proposal: Uint8Array;
let deep: [number, number, number];

const index = (i: number, j: number, k: number): number => i + dims[0] * (j + dims[1] * k);
const kOf = (n: number): number => Math.floor(n / (dims[0] * dims[1]));

/** Voxels whose label differs: index → [before, after]. */
function diff(a: Uint8Array, b: Uint8Array): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (let n = 0; n < a.length; n++) if (a[n] !== b[n]) out.set(n, [a[n]!, b[n]!]);
  return out;
}

const labels = async (): Promise<Uint8Array> => (await ws.labels()).labels;

/** Wait until main's labels differ from `from` and stop changing (a stroke's segments have landed), then return them. */
async function changedFrom(from: Uint8Array): Promise<Uint8Array> {
  await expect.poll(async () => diff(from, await labels()).size, { timeout: 15_000 }).toBeGreaterThan(0);
  let last = await labels();
  for (;;) {
    await page.waitForTimeout(250);
    const now = await labels();
    if (diff(last, now).size === 0) return now;
    last = now;
  }
}

/** Ctrl+Z, and main's labels are exactly `expected` again. */
async function undoTo(expected: Uint8Array): Promise<void> {
  await page.keyboard.press('Control+z');
  await expect.poll(async () => diff(expected, await labels()).size, { timeout: 15_000 }).toBe(0);
}

/** The liver voxel of slice K farthest (4-connected steps) from anything that is not liver. */
function deepestLiver(l: Uint8Array): [number, number, number] {
  const [nx, ny] = dims;
  const dist = new Int32Array(nx * ny).fill(-1);
  let frontier: number[] = [];
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++)
      if (l[index(i, j, K)] !== LIVER) {
        dist[i + nx * j] = 0;
        frontier.push(i + nx * j);
      }
  let best = -1;
  for (let d = 1; frontier.length > 0; d++) {
    const next: number[] = [];
    for (const p of frontier) {
      const i = p % nx;
      const j = Math.floor(p / nx);
      for (const [a, b] of [
        [i + 1, j],
        [i - 1, j],
        [i, j + 1],
        [i, j - 1],
      ] as const) {
        if (a < 0 || b < 0 || a >= nx || b >= ny || dist[a + nx * b] !== -1) continue;
        dist[a + nx * b] = d;
        next.push(a + nx * b);
        best = a + nx * b;
      }
    }
    frontier = next;
  }
  expect(dist[best]).toBeGreaterThanOrEqual(4);
  return [best % nx, Math.floor(best / nx), K];
}

async function scrollTo(k: number): Promise<void> {
  await ws.scroll((await ws.currentSlice('axial')) - k, 'axial');
  await expect.poll(() => ws.currentSlice('axial')).toBe(k);
}

async function autoSegment(): Promise<void> {
  await page.getByTestId('auto-segment').click();
  await expect.poll(async () => diff(proposal, await labels()).size, { timeout: 90_000 }).toBe(0);
}

beforeAll(async () => {
  const volume = await readVolume(SAMPLE_PATH);
  image = volume.voxels;
  dims = volume.dims;
  session = await openSession({ width: 1300, height: 950 });
  ({ page, ws } = session);
  tools = new ToolsPanel(page, ws);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
  await page.getByTestId('segment-list').waitFor({ timeout: 30_000 });
  // These are slice tools: the 3D surfaces are switched off, as a user may, so that each edit does
  // not also re-render them (in software GL on a 2-core machine that dominates the test's time).
  // Volume rendering starts off with software graphics.
  const view3d = page.getByTestId('view-3d');
  expect(await view3d.getByTestId('volume-toggle').isChecked()).toBe(false);
  await view3d.getByTestId('surfaces-toggle').setChecked(false);
}, 120_000);

afterAll(() => session?.close());

describe('on empty labels', () => {
  let empty: Uint8Array;

  it('the model proposes, and undoing its run leaves no label', async () => {
    // The first seconds after opening, the 3D view's first render keeps the page busy on a loaded machine.
    await page.getByTestId('auto-segment').click({ timeout: 90_000 });
    await expect.poll(() => page.getByTestId('last-run').textContent(), { timeout: 90_000 }).toMatch(/^30\/30 slices in/);
    proposal = await labels();
    deep = deepestLiver(proposal);
    await page.getByTestId('segment-liver').getByTestId('segment-select').click();

    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await labels()).some((v) => v !== 0), { timeout: 15_000 }).toBe(false);
    empty = await labels();
  }, 200_000);

  it('region grow from a click in the liver adds liver on that slice only (2D), and on more slices in 3D', async () => {
    await page.keyboard.press('g');
    expect(await page.getByTestId('tool-grow').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('tool-grow').getAttribute('title')).toContain('(G)');
    await tools.clickVoxel('axial', deep);
    // A click previews the grow; Enter applies it.
    await tools.control('tool-preview').waitFor();
    await page.keyboard.press('Enter');
    const grown = diff(empty, await changedFrom(empty));
    expect(grown.get(index(...deep))).toEqual([0, LIVER]);
    expect(grown.size).toBeGreaterThan(30);
    expect([...grown.keys()].every((n) => kOf(n) === K)).toBe(true);
    expect([...grown.values()].every(([, v]) => v === LIVER)).toBe(true);
    // Seed ± tolerance (an eighth of the 400 HU window): every grown voxel is within 50 HU of the seed.
    const seed = image[index(...deep)]!;
    expect([...grown.keys()].every((n) => Math.abs(image[n]! - seed) <= 50)).toBe(true);
    await undoTo(empty);

    await tools.control('grow-3d').check();
    await tools.clickVoxel('axial', deep);
    await tools.control('tool-preview').waitFor();
    await page.keyboard.press('Enter');
    const grown3d = diff(empty, await changedFrom(empty));
    const slices = new Set([...grown3d.keys()].map(kOf));
    expect(slices.has(K)).toBe(true);
    expect(slices.size).toBeGreaterThan(3);
    expect(grown3d.size).toBeGreaterThan(grown.size);
    await undoTo(empty);
    await tools.control('grow-3d').uncheck();
  });

  it('the threshold brush paints only the brush voxels inside the range', { timeout: 120_000 }, async () => {
    await page.keyboard.press('b');
    await page.keyboard.press('t');
    expect(await tools.control('limit-range').isChecked()).toBe(true);
    // The default range is the window: level ± width / 2.
    expect(await tools.control('range-lo').inputValue()).toBe('-160');
    expect(await tools.control('range-hi').inputValue()).toBe('240');
    await tools.setNumber('range-lo', 40);
    await tools.setNumber('range-hi', 120);
    for (let n = 0; n < 5; n++) await page.keyboard.press(']');
    const stroke = async (): Promise<Map<number, [number, number]>> => {
      await ws.dragIn('axial', [0.3, 0.45], [0.7, 0.55], { steps: 12 });
      return diff(empty, await changedFrom(empty));
    };
    const limited = await stroke();
    expect(limited.size).toBeGreaterThan(20);
    expect([...limited.keys()].every((n) => kOf(n) === K && image[n]! >= 40 && image[n]! <= 120)).toBe(true);
    await undoTo(empty);

    // The same stroke without the limit: the limited one is exactly its voxels in range.
    await page.keyboard.press('t');
    const plain = await stroke();
    const inRange = [...plain.keys()].filter((n) => image[n]! >= 40 && image[n]! <= 120).sort((a, b) => a - b);
    expect(inRange.length).toBeLessThan(plain.size);
    expect([...limited.keys()].sort((a, b) => a - b)).toEqual(inRange);
    await undoTo(empty);
    for (let n = 0; n < 5; n++) await page.keyboard.press('[');
  });

  it('interpolate fills the slices between two painted ones (prefilled with them)', async () => {
    await page.keyboard.press('b');
    for (const k of [K - 3, K + 3]) {
      await scrollTo(k);
      await tools.clickVoxel('axial', [deep[0], deep[1], k]);
    }
    await expect.poll(async () => new Set([...diff(empty, await labels()).keys()].map(kOf)).size, { timeout: 15_000 }).toBe(2);
    await scrollTo(K);
    const painted = await labels();
    await expect.poll(() => tools.control('interpolate-from').inputValue()).toBe(String(K - 3 + 1));
    expect(await tools.control('interpolate-to').inputValue()).toBe(String(K + 3 + 1));
    expect(await tools.control('interpolate').getAttribute('title')).toContain('(I)');
    await ws.axialView.hover();
    await page.keyboard.press('i');
    const filled = diff(painted, await changedFrom(painted));
    expect(new Set([...filled.keys()].map(kOf))).toEqual(new Set([K - 2, K - 1, K, K + 1, K + 2]));
    expect([...filled.values()].every(([, v]) => v === LIVER)).toBe(true);
    await undoTo(painted);
    await page.keyboard.press('Control+z');
    await undoTo(empty);
  });
});

describe('on the model proposal', () => {
  it('the model run gives the same proposal again', async () => {
    await autoSegment();
  }, 120_000);

  it('scissors erase inside a polygon on one slice only', async () => {
    await page.keyboard.press('c');
    const [i, j] = deep;
    const corners: [number, number][] = [
      [i - 6, j - 6],
      [i + 6, j - 6],
      [i + 6, j + 6],
      [i - 6, j + 6],
    ];
    for (const [a, b] of corners) {
      const [x, y] = await tools.pointOf('axial', [a, b, K]);
      await page.mouse.click(x, y);
    }
    await expect.poll(() => ws.axialView.getByTestId('scissors-polygon').getAttribute('data-points')).toBe('4');
    // Enter closes the polygon into a preview of the cut; Enter again applies it.
    await page.keyboard.press('Enter');
    await tools.control('tool-preview').waitFor();
    await page.keyboard.press('Enter');
    const cut = diff(proposal, await changedFrom(proposal));
    expect(cut.get(index(...deep))).toEqual([LIVER, 0]);
    expect(
      [...cut.entries()].every(([n, [, v]]) => {
        const a = n % dims[0];
        const b = Math.floor(n / dims[0]) % dims[1];
        return v === 0 && kOf(n) === K && Math.abs(a - i) <= 6 && Math.abs(b - j) <= 6;
      }),
    ).toBe(true);
    // Labelled voxels of the slice outside the polygon are kept.
    expect(proposal.subarray(K * dims[0] * dims[1], (K + 1) * dims[0] * dims[1]).filter((v) => v !== 0).length).toBeGreaterThan(cut.size);
    expect(await ws.axialView.getByTestId('scissors-polygon').count()).toBe(0);
    await undoTo(proposal);
  });

  it('fill holes fills a hole erased inside the liver', async () => {
    await page.keyboard.press('e');
    await tools.clickVoxel('axial', deep);
    const holed = await changedFrom(proposal);
    const hole = [...diff(proposal, holed).keys()];
    expect(hole.length).toBeGreaterThanOrEqual(5);
    expect(await tools.control('fill-holes').getAttribute('title')).toContain('(H)');
    await tools.control('fill-holes').click();
    const filled = await changedFrom(holed);
    expect(hole.every((n) => filled[n] === LIVER)).toBe(true);
    expect([...diff(holed, filled).entries()].every(([n, [, v]]) => kOf(n) === K && v === LIVER)).toBe(true);
    await undoTo(holed);
    await undoTo(proposal);
  });

  it('remove islands erases a small island painted away from the liver', async () => {
    // A body voxel of slice K with no liver within 5 voxels on it and its neighbours.
    let spot: [number, number, number] | null = null;
    for (let j = 10; j < dims[1] - 10 && !spot; j++) {
      for (let i = 10; i < dims[0] - 10 && !spot; i++) {
        if (image[index(i, j, K)]! < 0) continue;
        let clear = true;
        for (let k = K - 1; k <= K + 1 && clear; k++)
          for (let b = j - 5; b <= j + 5 && clear; b++) for (let a = i - 5; a <= i + 5 && clear; a++) if (proposal[index(a, b, k)] === LIVER) clear = false;
        if (clear) spot = [i, j, K];
      }
    }
    if (!spot) throw new Error('no spot away from the liver');
    await page.keyboard.press('b');
    await tools.clickVoxel('axial', spot);
    const withIsland = await changedFrom(proposal);
    const island = [...diff(proposal, withIsland).keys()];
    expect(island.every((n) => withIsland[n] === LIVER)).toBe(true);
    await tools.control('class-scope').selectOption('volume');
    await tools.setNumber('islands-min', 50);
    await ws.axialView.hover();
    await page.keyboard.press('l');
    const cleaned = await changedFrom(withIsland);
    expect(island.every((n) => cleaned[n] === 0)).toBe(true);
    expect([...diff(withIsland, cleaned).values()].every(([was, v]) => was === LIVER && v === 0)).toBe(true);
    await undoTo(withIsland);
    await undoTo(proposal);
  });

  it('revert puts the slice back to the proposal after a brush correction', async () => {
    await page.keyboard.press('b');
    for (let n = 0; n < 4; n++) await page.keyboard.press(']');
    await ws.dragIn('axial', [0.35, 0.4], [0.65, 0.6], { steps: 12 });
    const corrected = await changedFrom(proposal);
    expect([...diff(proposal, corrected).keys()].every((n) => kOf(n) === K)).toBe(true);
    await ws.axialView.hover();
    await page.keyboard.press('v');
    const reverted = await changedFrom(corrected);
    expect(diff(proposal, reverted).size).toBe(0);
    await undoTo(corrected);
    expect(session.problems).toEqual([]);
  });
});
