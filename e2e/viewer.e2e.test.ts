/**
 * The slice views as a reader uses them, in the real renderer on the sample CT: window/level by
 * drag and by preset, zoom with a scale bar, pan, the linked crosshair, the per-slice review
 * strip, fill or outline labels, the 3D sphere brush, maximize and a resizable grid. What the
 * user sees (readouts, pixels, view sizes) and what the data says (main's labels) are checked.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../test-support/paths.js';
import type { TestHost } from './host/test-host.js';
import { openSession, type Session } from './fixtures.js';
import { WorkstationPage } from './pages/workstation.js';

let session: Session;
let host: TestHost;
let page: Page;
let ws: WorkstationPage;

beforeAll(async () => {
  session = await openSession({ width: 1200, height: 900 });
  ({ host, page, ws } = session);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
});

afterAll(() => session?.close());

/** Voxels whose label differs between two label volumes, counted per k-slice. */
function changedPerSlice(a: Uint8Array, b: Uint8Array, sliceSize: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.set(Math.floor(i / sliceSize), (out.get(Math.floor(i / sliceSize)) ?? 0) + 1);
  return out;
}

/** Indices (y × width + x) of a shot's pixels within `tol` of a colour in every channel, in the box [x0, y0, x1, y1). */
function pixelsNearAt(png: PNG, [x0, y0, x1, y1]: readonly number[], rgb: readonly number[], tol = 45): number[] {
  const out: number[] = [];
  for (let y = Math.max(0, Math.floor(y0!)); y < Math.min(png.height, y1!); y++) {
    for (let x = Math.max(0, Math.floor(x0!)); x < Math.min(png.width, x1!); x++) {
      const i = (y * png.width + x) * 4;
      if ([0, 1, 2].every((c) => Math.abs(png.data[i + c]! - rgb[c]!) <= tol)) out.push(y * png.width + x);
    }
  }
  return out;
}

const pixelsNear = (png: PNG, box: readonly number[], rgb: readonly number[], tol = 45): number => pixelsNearAt(png, box, rgb, tol).length;

const LETTER = [240, 192, 96];
const TEXT = [230, 230, 160];
/** Where the W/L line is drawn: the view's bottom-right corner. */
const wlBox = (png: PNG): number[] => [png.width - 110, png.height - 26, png.width, png.height];
/** Positions of the text-coloured pixels in a box (what the drawn characters are, whatever the image behind). */
const textPixels = (png: PNG, box: readonly number[]): string => pixelsNearAt(png, box, TEXT).join();

describe('annotations', () => {
  it('are drawn in the view itself: letters at the four edges, name, slice, W/L and scale bar in the corners', async () => {
    await expect.poll(async () => (await ws.axialPixels()).levels, { timeout: 20_000 }).toBeGreaterThan(30);
    const SCALE = [224, 224, 224];
    const shot = await ws.shot('axial');
    const [w, h] = [shot.width, shot.height];
    const boxes = {
      top: [w / 2 - 15, 0, w / 2 + 15, 28],
      bottom: [w / 2 - 15, h - 28, w / 2 + 15, h],
      left: [0, h / 2 - 15, 30, h / 2 + 15],
      right: [w - 30, h / 2 - 15, w, h / 2 + 15],
    };
    for (const box of Object.values(boxes)) expect(pixelsNear(shot, box, LETTER)).toBeGreaterThan(8);
    // Name top left, slice bottom left, W/L bottom right, the scale bar above it; none in the middle.
    expect(pixelsNear(shot, [0, 0, 80, 28], TEXT)).toBeGreaterThan(15);
    expect(pixelsNear(shot, [0, h - 28, 140, h], TEXT)).toBeGreaterThan(30);
    expect(pixelsNear(shot, wlBox(shot), TEXT)).toBeGreaterThan(20);
    expect(pixelsNear(shot, [w - 140, h - 56, w, h - 26], SCALE, 30)).toBeGreaterThan(40);
    expect(pixelsNear(shot, [w / 2 - 60, h / 2 - 60, w / 2 + 60, h / 2 + 60], LETTER, 30)).toBe(0);
    // What assistive technology reads is what is drawn.
    expect(await ws.letters('axial')).toBe('R L A P');
    expect(await ws.sliceIndicator.textContent()).toMatch(/^Slice \d+ \/ \d+$/);
  }, 120_000);
});

describe('window and level', () => {
  it('a right-button drag changes the W/L readout of every view and the picture', async () => {
    await expect.poll(async () => (await ws.axialPixels()).levels, { timeout: 20_000 }).toBeGreaterThan(30);
    expect(await ws.windowLevel('axial')).toEqual({ width: 400, level: 40 });
    const before = await ws.shot('axial');
    await ws.dragIn('axial', [0.5, 0.5], [0.65, 0.6], { button: 'right' });
    const after = await ws.windowLevel('axial');
    expect(after.width).toBeGreaterThan(400);
    expect(after.level).toBeGreaterThan(40);
    expect(await ws.windowLevel('coronal')).toEqual(after);
    const shot = await ws.shot('axial');
    expect(WorkstationPage.difference(before, shot)).toBeGreaterThan(0.1);
    // The W/L drawn in the corner follows, and the letters stay.
    expect(textPixels(shot, wlBox(shot))).not.toBe(textPixels(before, wlBox(before)));
    const top = [shot.width / 2 - 15, 0, shot.width / 2 + 15, 28];
    expect(pixelsNear(shot, top, LETTER)).toBe(pixelsNear(before, top, LETTER));
    // Ctrl + left drag does the same, whatever the tool.
    await ws.dragIn('axial', [0.5, 0.5], [0.4, 0.5], { keys: ['Control'] });
    expect((await ws.windowLevel('axial')).width).toBeLessThan(after.width);
  }, 120_000);

  it('a preset sets the exact window, from the picker or its number key', async () => {
    const picker = page.getByTestId('wl-preset');
    expect(await picker.inputValue()).toBe('');
    await picker.selectOption('ct-liver');
    await expect.poll(() => ws.windowLevel('axial')).toEqual({ width: 150, level: 30 });
    expect(await ws.windowLevel('sagittal')).toEqual({ width: 150, level: 30 });
    await ws.axialView.hover();
    await page.keyboard.press('3');
    await expect.poll(() => ws.windowLevel('axial')).toEqual({ width: 1500, level: -600 });
    expect(await picker.inputValue()).toBe('ct-lung');
    expect(await picker.locator('option').allTextContents()).toEqual(['Custom W/L', '1 · Abdomen', '2 · Liver', '3 · Lung', '4 · Bone', '5 · Brain']);
    await page.keyboard.press('1');
    await expect.poll(() => ws.windowLevel('axial')).toEqual({ width: 400, level: 40 });
  });
});

describe('zoom and pan', () => {
  it('Ctrl+wheel zooms in: the scale bar gets shorter in mm and the picture changes; the plain wheel still scrolls', async () => {
    const fitted = await ws.scaleBar('axial');
    expect(fitted.text).toMatch(/^\d+ (mm|cm)$/);
    const slice = await ws.currentSlice('axial');
    const before = await ws.shot('axial');
    const [x, y] = await ws.at('axial', [0.5, 0.5]);
    await page.mouse.move(x, y);
    await page.keyboard.down('Control');
    for (let n = 0; n < 5; n++) await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await expect.poll(async () => (await ws.scaleBar('axial')).mm).toBeLessThan(fitted.mm);
    expect((await ws.scaleBar('axial')).text).not.toBe(fitted.text);
    expect(await ws.currentSlice('axial')).toBe(slice);
    expect(WorkstationPage.difference(before, await ws.shot('axial'))).toBeGreaterThan(0.2);
    // Only the axial view zoomed.
    expect((await ws.scaleBar('coronal')).mm).toBeGreaterThan((await ws.scaleBar('axial')).mm);
    await ws.scroll(-1);
    await expect.poll(() => ws.currentSlice('axial')).toBe(slice + 1);
    await ws.scroll(1);
  });

  it('a double-click fits the view again', async () => {
    await ws.axialView.dblclick({ position: { x: 20, y: 40 } });
    await expect.poll(async () => (await ws.scaleBar('axial')).text).toBe((await ws.scaleBar('sagittal')).text);
  });

  it('Shift+drag and the middle button pan: the image follows the pointer', async () => {
    const box = (await ws.axialView.boundingBox())!;
    const cross = ws.axialView.getByTestId('crosshair');
    const at = async (): Promise<[number, number]> => [Number(await cross.getAttribute('data-x')), Number(await cross.getAttribute('data-y'))];
    const [cx, cy] = await ws.brightCentroid('axial');
    const [hx, hy] = await at();
    await ws.dragIn('axial', [0.5, 0.5], [0.5 + 60 / box.width, 0.5 + 30 / box.height], { keys: ['Shift'] });
    // The picture moved right and down (the body's edge leaves the view, so not quite 60 px)…
    await expect.poll(async () => (await ws.brightCentroid('axial'))[0]).toBeGreaterThan(cx + 30);
    expect((await ws.brightCentroid('axial'))[1]).toBeGreaterThan(cy + 15);
    // …and the crosshair, drawn in patient space, moved with it exactly.
    const [px, py] = await at();
    expect(px - hx).toBeCloseTo(60, 0);
    expect(py - hy).toBeCloseTo(30, 0);
    await ws.dragIn('axial', [0.5, 0.5], [0.5 - 60 / box.width, 0.5 - 30 / box.height], { button: 'middle' });
    await expect.poll(async () => (await at())[0]).toBeCloseTo(hx, 0);
    expect((await at())[1]).toBeCloseTo(hy, 0);
    expect((await ws.brightCentroid('axial'))[0]).toBeCloseTo(cx, 0);
  });
});

describe('linked crosshair', () => {
  it('a click in the axial view moves the coronal and sagittal views to the clicked voxel', async () => {
    await page.keyboard.press('n');
    const [x, y] = await ws.at('axial', [0.38, 0.62]);
    await page.mouse.move(x, y);
    const { ijk } = await ws.readout();
    const [coronal, sagittal] = [await ws.currentSlice('coronal'), await ws.currentSlice('sagittal')];
    expect([coronal, sagittal]).not.toEqual([ijk[1], ijk[0]]);
    await page.mouse.click(x, y);
    await expect.poll(() => ws.currentSlice('coronal')).toBe(ijk[1]);
    expect(await ws.currentSlice('sagittal')).toBe(ijk[0]);
    expect(await ws.currentSlice('axial')).toBe(ijk[2]);
    // The crosshair is drawn through the clicked voxel (within one voxel of the pointer).
    const box = (await ws.axialView.boundingBox())!;
    const cross = ws.axialView.getByTestId('crosshair');
    expect(Math.abs(Number(await cross.getAttribute('data-x')) - (x - box.x))).toBeLessThan(8);
    expect(Math.abs(Number(await cross.getAttribute('data-y')) - (y - box.y))).toBeLessThan(8);
    expect(await ws.view('coronal').getByTestId('crosshair').count()).toBe(1);
  });

  it('X hides and shows the crosshair in all three views', async () => {
    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('crosshair').count()).toBe(0);
    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('crosshair').count()).toBe(3);
  });
});

describe('labels on the slice views', () => {
  it('the status strip shows auto slices after Auto-segment, and a click jumps the axial view there', async () => {
    const cells = ws.axialView.locator('..').getByTestId('status-cell');
    await expect.poll(() => cells.count(), { timeout: 30_000 }).toBe(30);
    expect(await ws.axialView.locator('..').locator('[data-testid=status-cell][data-status=auto]').count()).toBe(0);
    await page.getByTestId('model-status').waitFor({ timeout: 30_000 });
    await page.getByTestId('auto-segment').click();
    await page.getByTestId('last-run').waitFor({ timeout: 60_000 });
    await expect.poll(() => ws.axialView.locator('..').locator('[data-testid=status-cell][data-status=auto]').count()).toBe(30);
    await cells.nth(4).click();
    await expect.poll(() => ws.currentSlice('axial')).toBe(4);
    expect(await cells.nth(4).getAttribute('aria-current')).toBe('true');
    expect(await ws.axialView.getByTestId('slice-status').textContent()).toMatch(/^ · auto/);
    expect(await ws.sliceIndicator.textContent()).toBe('Slice 5 / 30');
    await cells.nth(15).click();
    await expect.poll(() => ws.currentSlice('axial')).toBe(15);
  });

  it('outline mode colours fewer pixels than fill, but some', async () => {
    await expect.poll(() => ws.colouredFraction('axial'), { timeout: 20_000 }).toBeGreaterThan(0.05);
    const fill = await ws.colouredFraction('axial');
    await page.keyboard.press('o');
    await expect.poll(() => ws.colouredFraction('axial')).toBeLessThan(fill * 0.6);
    expect(await ws.colouredFraction('axial')).toBeGreaterThan(0.005);
    expect(await page.getByTestId('label-outline').isChecked()).toBe(true);
    await page.getByTestId('label-outline').click();
    await expect.poll(() => ws.colouredFraction('axial')).toBeGreaterThan(fill * 0.95);
  });

  it('a class’s own opacity fades only that class', async () => {
    const fill = await ws.colouredFraction('axial');
    await page.getByTestId('segment-liver').getByTestId('segment-opacity').fill('0');
    await expect.poll(() => ws.colouredFraction('axial')).toBeLessThan(fill * 0.9);
    expect(await ws.colouredFraction('axial')).toBeGreaterThan(0.01);
    await page.getByTestId('segment-liver').getByTestId('segment-opacity').fill('1');
    await expect.poll(() => ws.colouredFraction('axial')).toBeGreaterThan(fill * 0.95);
  });
});

describe('brush shapes', () => {
  it('the 2D disk paints the shown slice only; the 3D sphere reaches the neighbouring slices', async () => {
    const z = await ws.currentSlice('axial');
    await page.keyboard.press('b');
    await page.getByTestId('segment-spleen').getByTestId('segment-select').click();
    expect(await page.getByTestId('brush-shape').textContent()).toBe('2D disk');

    const start = await ws.labels();
    await ws.dragIn('axial', [0.45, 0.5], [0.55, 0.5], { steps: 4 });
    await expect.poll(async () => changedPerSlice(start.labels, (await ws.labels()).labels, start.sliceSize).size).toBeGreaterThan(0);
    const disk = await ws.labels();
    expect([...changedPerSlice(start.labels, disk.labels, start.sliceSize).keys()]).toEqual([z]);

    await page.keyboard.press('s');
    expect(await page.getByTestId('brush-shape').textContent()).toBe('3D sphere');
    await ws.dragIn('axial', [0.45, 0.58], [0.55, 0.58], { steps: 4 });
    await expect
      .poll(async () => [...changedPerSlice(disk.labels, (await ws.labels()).labels, disk.sliceSize).keys()].sort((a, b) => a - b))
      .toEqual([z - 1, z, z + 1]);
    // Both neighbours are now corrected: the strip says so.
    const strip = ws.axialView.locator('..');
    await expect.poll(() => strip.locator(`[data-testid=status-cell][data-slice="${z + 1}"]`).getAttribute('data-status')).toBe('corrected');
    expect(await strip.locator(`[data-testid=status-cell][data-slice="${z - 1}"]`).getAttribute('data-status')).toBe('corrected');
    await page.keyboard.press('s');
    await page.keyboard.press('n');
  }, 120_000);
});

describe('layout', () => {
  it('M maximizes the view under the pointer and restores the grid', async () => {
    const grid = (await page.locator('.view-grid').boundingBox())!;
    await ws.view('coronal').hover();
    await page.keyboard.press('m');
    await expect.poll(() => ws.axialView.isVisible()).toBe(false);
    expect(await ws.view('sagittal').isVisible()).toBe(false);
    expect(await page.getByTestId('view-3d-cell').isVisible()).toBe(false);
    const big = (await ws.view('coronal').boundingBox())!;
    expect(big.width).toBeCloseTo(grid.width, -1);
    expect(big.height).toBeCloseTo(grid.height, -1);
    // The maximized view is still a working view (the scale bar follows the new size).
    await expect.poll(async () => (await ws.scaleBar('coronal')).mm).toBeGreaterThan(0);
    await page.keyboard.press('m');
    await expect.poll(() => ws.axialView.isVisible()).toBe(true);
    expect((await ws.view('coronal').boundingBox())!.width).toBeLessThan(grid.width * 0.6);
  });

  it('a double-click on a view’s title maximizes it, and again restores', async () => {
    await ws.view('sagittal').getByTestId('view-title').dblclick();
    await expect.poll(() => ws.axialView.isVisible()).toBe(false);
    expect(await ws.view('sagittal').isVisible()).toBe(true);
    await ws.view('sagittal').getByTestId('view-title').dblclick();
    await expect.poll(() => ws.axialView.isVisible()).toBe(true);
  });

  it('dragging the gap between the columns resizes the views', async () => {
    const before = (await ws.axialView.boundingBox())!;
    const split = (await page.getByTestId('split-columns').boundingBox())!;
    const [x, y] = [split.x + split.width / 2, split.y + split.height / 4];
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 120, y, { steps: 2 });
    await page.mouse.up();
    await expect.poll(async () => (await ws.axialView.boundingBox())!.width).toBeGreaterThan(before.width + 100);
    // The left column (axial, sagittal) grew, the right one (coronal, 3D) shrank.
    expect((await ws.view('sagittal').boundingBox())!.width).toBeCloseTo((await ws.axialView.boundingBox())!.width, 0);
    expect((await ws.view('coronal').boundingBox())!.width).toBeLessThan(before.width - 100);
    // The rows too, with the keyboard.
    const coronal = (await ws.view('coronal').boundingBox())!;
    await page.getByTestId('split-rows').focus();
    for (let n = 0; n < 5; n++) await page.keyboard.press('ArrowUp');
    await expect.poll(async () => (await ws.view('coronal').boundingBox())!.height).toBeLessThan(coronal.height - 40);
  }, 120_000);
});

describe('shortcuts and other volumes', () => {
  it('every tool says its key in its tooltip', async () => {
    for (const [tool, key] of [
      ['navigate', 'N'],
      ['windowLevel', 'W'],
      ['zoom', 'Z'],
      ['pan', 'P'],
      ['brush', 'B'],
      ['eraser', 'E'],
    ] as const) {
      expect(await page.getByTestId(`tool-${tool}`).getAttribute('title')).toContain(`(${key})`);
    }
    for (const [id, key] of [
      ['brush-shape', '(S)'],
      ['toggle-crosshair', '(X)'],
      ['maximize', '(M'],
      ['fit-views', '(F'],
      ['label-outline', ''],
    ] as const) {
      if (key) expect(await page.getByTestId(id).getAttribute('title')).toContain(key);
    }
    await page.keyboard.press('w');
    expect(await page.getByTestId('tool-windowLevel').getAttribute('aria-pressed')).toBe('true');
    await ws.dragIn('coronal', [0.5, 0.5], [0.5, 0.6]);
    expect((await ws.windowLevel('coronal')).level).toBeGreaterThan(40);
    await page.keyboard.press('z');
    const bar = await ws.scaleBar('coronal');
    await ws.dragIn('coronal', [0.5, 0.9], [0.5, 0.1]);
    await expect.poll(async () => (await ws.scaleBar('coronal')).mm).toBeLessThan(bar.mm);
    await page.keyboard.press('f');
    await expect.poll(async () => (await ws.scaleBar('coronal')).mm).toBe(bar.mm);
    await page.keyboard.press('n');
  });

  it('an MR volume gets percentile presets', async () => {
    host.dialogAnswers.push(join(TOTALSEG, 'example_mr_sm.nii.gz'));
    await page.getByTestId('open-file').click();
    await expect.poll(() => ws.studyName.textContent()).toBe('example_mr_sm.nii.gz');
    const picker = page.getByTestId('wl-preset');
    await expect.poll(() => picker.locator('option').allTextContents()).toEqual(['Custom W/L', '1 · 1–99 %', '2 · 5–95 %', '3 · Full range']);
    await picker.selectOption('p1-99');
    const p199 = await ws.windowLevel('axial');
    await picker.selectOption('full');
    const full = await ws.windowLevel('axial');
    expect(p199.width).toBeLessThan(full.width);
    expect(p199.width).toBeGreaterThan(0);
  });

  it('did all this without a console error', () => {
    expect(session.problems).toEqual([]);
  });
});
