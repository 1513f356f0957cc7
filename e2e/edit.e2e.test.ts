/**
 * Correcting labels by hand in the real renderer: brush and eraser strokes, undo and redo,
 * locked classes, and a killed session whose acknowledged edits come back on restart. Label
 * voxels are checked through the API (what main holds), not only on screen.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTLE_MS } from '../renderer/src/lib/stroke-settle.js';
import { startTestHost } from './host/test-host.js';
import { openSession, type Session } from './fixtures.js';
import { WorkstationPage } from './pages/workstation.js';

const LIVER = 5;
const SPLEEN = 1;
const sessionsDir = mkdtempSync(join(tmpdir(), 'hsam-e2e-edit-'));
let session: Session;
let page: Page;
let ws: WorkstationPage;

async function openApp(): Promise<void> {
  await page.goto(session.host.url);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
  await page.getByTestId('segment-list').waitFor({ timeout: 30_000 });
}

beforeAll(async () => {
  session = await openSession({ sessionsDir });
  ({ page, ws } = session);
  await openApp();
});

afterAll(() => session?.close());

/** When strokes began and ended and when the segment list's text changed (performance.now() in the page). */
interface SettleLog {
  downs: number[];
  ups: number[];
  changes: number[];
}

/** Drag across the axial view between two points given as fractions of its size. */
async function drag(from: [number, number], to: [number, number]): Promise<void> {
  const box = await ws.axialView.boundingBox();
  if (!box) throw new Error('no axial view');
  const at = (f: [number, number]): [number, number] => [box.x + box.width * f[0], box.y + box.height * f[1]];
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let s = 1; s <= 10; s++) {
    await page.mouse.move(...at([from[0] + ((to[0] - from[0]) * s) / 10, from[1] + ((to[1] - from[1]) * s) / 10]));
  }
  await page.mouse.up();
}

/** A brush stroke in the axial view, then a slice step, each waited for until its frame is on screen (not for a fixed time). */
async function strokeThenStep(from: [number, number], to: [number, number]): Promise<void> {
  const before = await ws.shot('axial');
  await drag(from, to);
  await expect.poll(async () => WorkstationPage.difference(before, await ws.shot('axial')), { timeout: 10_000 }).toBeGreaterThan(0.001);
  const painted = await ws.shot('axial');
  await page.keyboard.press('ArrowUp');
  await expect.poll(async () => WorkstationPage.difference(painted, await ws.shot('axial')), { timeout: 10_000 }).toBeGreaterThan(0.001);
}

describe('hand corrections', () => {
  let painted = 0;

  it('the brush paints the chosen class on the current slice only', async () => {
    await page.keyboard.press('b');
    await page.getByTestId('segment-liver').getByTestId('segment-select').click();
    await drag([0.42, 0.45], [0.55, 0.5]);
    await expect.poll(async () => (await ws.labelCounts())[LIVER], { timeout: 10_000 }).toBeGreaterThan(50);
    painted = (await ws.settledLabelCounts())[LIVER] ?? 0;
    expect(await ws.labelCountsInSlice(15, LIVER)).toBe(painted);
    expect(await ws.colouredFraction('axial')).toBeGreaterThan(0.002);
  });

  it('undo and redo, by keyboard, restore exactly', async () => {
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await ws.labelCounts())[LIVER]).toBe(0);
    await page.keyboard.press('Control+Shift+Z');
    await expect.poll(async () => (await ws.labelCounts())[LIVER]).toBe(painted);
  });

  it('the eraser removes part of it', async () => {
    await page.keyboard.press('e');
    await drag([0.42, 0.45], [0.46, 0.46]);
    await expect.poll(async () => (await ws.labelCounts())[LIVER]).toBeLessThan(painted);
    expect((await ws.labelCounts())[LIVER]).toBeGreaterThan(0);
  });

  it('a locked class is not painted over', async () => {
    const liver = (await ws.labelCounts())[LIVER];
    await page.getByTestId('segment-liver').getByTestId('segment-lock').click();
    await expect.poll(() => page.getByTestId('segment-liver').getByTestId('segment-lock').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('b');
    await page.getByTestId('segment-spleen').getByTestId('segment-select').click();
    // Paint over all labels: the lock, not the default paint-over rule, must keep the liver.
    await page.getByTestId('paint-over').selectOption('all');
    await drag([0.4, 0.45], [0.6, 0.5]);
    await expect.poll(async () => (await ws.labelCounts())[SPLEEN], { timeout: 10_000 }).toBeGreaterThan(0);
    expect((await ws.labelCounts())[LIVER]).toBe(liver);
    await page.getByTestId('paint-over').selectOption('nothing');
  });

  it('the axial view shows the slice’s review status, and R marks it reviewed', async () => {
    expect(await ws.axialView.getByTestId('slice-status').textContent()).toContain('corrected');
    await page.keyboard.press('r');
    await expect.poll(() => ws.axialView.getByTestId('slice-status').textContent()).toContain('reviewed');
  });

  it('a killed session loses no acknowledged edit: the restarted app restores them', async () => {
    const before = await ws.labelCounts();
    await session.host.crash();
    session.host = await startTestHost({ sessionsDir });
    await openApp();
    await expect.poll(() => page.getByTestId('restored').textContent()).toMatch(/^Restored \d+ unsaved label edit\(s\) from the last session\./);
    expect(await ws.labelCounts()).toEqual(before);
    expect(await ws.axialView.getByTestId('slice-status').textContent()).toContain('reviewed');
  });

  it('the other two views show a stroke that crosses their slices', async () => {
    // The coronal and sagittal views re-read their slice only when an edit changed it. Move the
    // crosshair to the axial view's centre, then paint a cross through it.
    const lock = page.getByTestId('segment-liver').getByTestId('segment-lock');
    if ((await lock.getAttribute('aria-pressed')) === 'true') await lock.click();
    await expect.poll(() => lock.getAttribute('aria-pressed')).toBe('false');
    await page.getByTestId('tool-navigate').click();
    await page.mouse.click(...(await ws.at('axial', [0.5, 0.5])));
    await page.waitForTimeout(300);
    const before = { coronal: await ws.shot('coronal'), sagittal: await ws.shot('sagittal') };
    await page.keyboard.press('b');
    await page.getByTestId('segment-liver').getByTestId('segment-select').click();
    await drag([0.5, 0.2], [0.5, 0.8]);
    await drag([0.2, 0.5], [0.8, 0.5]);
    for (const plane of ['coronal', 'sagittal'] as const) {
      await expect.poll(async () => WorkstationPage.difference(before[plane], await ws.shot(plane)), { timeout: 10_000 }).toBeGreaterThan(0.001);
    }
  });

  it('strokes in quick succession: the segment list holds until they pause (SETTLE_MS), then shows the painted volume', async () => {
    await page.keyboard.press('b');
    await page.getByTestId('segment-spleen').getByTestId('segment-select').click();
    const volume = page.getByTestId('segment-spleen').getByTestId('segment-volume');
    const before = await volume.textContent();
    // In the page: when each press and release happened, and when the spleen's volume text changed.
    await page.evaluate(() => {
      const log: SettleLog = { downs: [], ups: [], changes: [] };
      (window as unknown as { __settle: SettleLog }).__settle = log;
      addEventListener('pointerdown', () => log.downs.push(performance.now()), { capture: true });
      addEventListener('pointerup', () => log.ups.push(performance.now()), { capture: true });
      const list = document.querySelector('[data-testid="segment-list"]')!;
      const text = (): string | null | undefined => list.querySelector('[data-testid="segment-spleen"] [data-testid="segment-volume"]')?.textContent;
      let seen = text();
      new MutationObserver(() => {
        if (text() === seen) return;
        seen = text();
        log.changes.push(performance.now());
      }).observe(list, { subtree: true, childList: true, characterData: true });
    });
    await drag([0.22, 0.3], [0.32, 0.3]);
    await drag([0.22, 0.34], [0.32, 0.34]);
    await drag([0.22, 0.38], [0.32, 0.38]);
    await expect.poll(() => volume.textContent(), { timeout: 10_000 }).not.toBe(before);
    const log = await page.evaluate(() => (window as unknown as { __settle: SettleLog }).__settle);
    expect(log.downs).toHaveLength(3);
    expect(log.changes.length).toBeGreaterThan(0);
    // Each change came once no stroke was under way and none had been for SETTLE_MS: never
    // between strokes that followed each other sooner (however slow this machine runs).
    for (const t of log.changes) {
      const down = Math.max(...log.downs.filter((d) => d <= t));
      const up = Math.max(...log.ups.filter((u) => u <= t));
      expect(up).toBeGreaterThan(down);
      expect(t - up).toBeGreaterThanOrEqual(SETTLE_MS);
    }
    expect(Number.parseFloat((await volume.textContent()) ?? '')).toBeGreaterThan(Number.parseFloat(before ?? '0'));
  });

  it('8-bit slices upload without mipmaps: every view minifies nearest-neighbour (views/image-mapper.ts)', async () => {
    // Counts the page's mipmap builds, in every WebGL context, from the next load on.
    await page.addInitScript(() => {
      const w = window as unknown as { __mipmaps: number };
      w.__mipmaps = 0;
      const proto = WebGL2RenderingContext.prototype;
      const build = Object.getOwnPropertyDescriptor(proto, 'generateMipmap')?.value as (this: WebGL2RenderingContext, target: number) => void;
      proto.generateMipmap = function (this: WebGL2RenderingContext, target: number) {
        w.__mipmaps++;
        build.call(this, target);
      };
    });
    await openApp();
    // The human-edits overlay is a vtk image of its own (the labels are drawn in the image's pass):
    // the stroke and the slice step upload its slices.
    await page.keyboard.press('d');
    await expect.poll(() => page.getByTestId('toggle-edits').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('b');
    await page.getByTestId('segment-spleen').getByTestId('segment-select').click();
    await strokeThenStep([0.3, 0.7], [0.4, 0.75]);
    expect(await page.evaluate(() => (window as unknown as { __mipmaps: number }).__mipmaps)).toBe(0);
    await page.keyboard.press('d');
    await expect.poll(() => page.getByTestId('toggle-edits').getAttribute('aria-pressed')).toBe('false');
    expect(session.problems).toEqual([]);
  });

  it('a slice step uploads the CT slice through one float buffer per view, not a new copy per step (views/image-mapper.ts)', async () => {
    // Per WebGL context, the float arrays its 2D uploads read (SwiftShader has no 16-bit
    // normalised textures, so vtk uploads the int16 CT slice as float32), by identity.
    await page.addInitScript(() => {
      const w = window as unknown as { __floatUploads: Map<WebGL2RenderingContext, Float32Array[]> };
      w.__floatUploads = new Map();
      const proto = WebGL2RenderingContext.prototype;
      for (const name of ['texImage2D', 'texSubImage2D'] as const) {
        const upload = Object.getOwnPropertyDescriptor(proto, name)?.value as (this: WebGL2RenderingContext, ...args: unknown[]) => void;
        Object.defineProperty(proto, name, {
          value: function (this: WebGL2RenderingContext, ...args: unknown[]) {
            const pixels = args[8];
            if (args.length === 9 && args[7] === this.FLOAT && pixels instanceof Float32Array && pixels.length >= 4096) {
              w.__floatUploads.set(this, [...(w.__floatUploads.get(this) ?? []), pixels]);
            }
            upload.apply(this, args);
          },
        });
      }
    });
    await openApp();
    // The uploads of the slice steps only (the views' first slices are in before).
    await page.evaluate(() => (window as unknown as { __floatUploads: Map<unknown, unknown> }).__floatUploads.clear());
    await ws.axialView.focus();
    for (let n = 0; n < 4; n++) {
      const before = await ws.shot('axial');
      await page.keyboard.press('ArrowUp');
      await expect.poll(async () => WorkstationPage.difference(before, await ws.shot('axial')), { timeout: 10_000 }).toBeGreaterThan(0.001);
    }
    const perContext = await page.evaluate(() =>
      [...(window as unknown as { __floatUploads: Map<unknown, Float32Array[]> }).__floatUploads.values()].map((arrays) => ({ uploads: arrays.length, buffers: new Set(arrays).size })),
    );
    // The axial view's context uploaded a slice per step, every one through the same buffer.
    expect(perContext.reduce((n, c) => n + c.uploads, 0)).toBeGreaterThanOrEqual(4);
    for (const c of perContext) expect(c.buffers).toBe(1);
    expect(session.problems).toEqual([]);
  });

  it('the labels are drawn in the image’s own pass: one pass over the view per frame while painting and stepping (views/image-mapper.ts)', async () => {
    // Per WebGL context of a slice view, in order: 'C' for a clear (a frame begins), 'I' for a
    // draw by vtk's image mapper, 'L' for one that also reads the label slice.
    await page.addInitScript(() => {
      const w = window as unknown as { __draws: Map<string, string[]> };
      w.__draws = new Map();
      const kind = new WeakMap<WebGLProgram, string>();
      const proto = WebGL2RenderingContext.prototype;
      const log = (gl: WebGL2RenderingContext, what: string): void => {
        const view = (gl.canvas as HTMLCanvasElement).closest?.('[data-testid^="view-"]')?.getAttribute('data-testid') ?? '?';
        w.__draws.set(view, [...(w.__draws.get(view) ?? []), what]);
      };
      const clear = Object.getOwnPropertyDescriptor(proto, 'clear')?.value as (this: WebGL2RenderingContext, mask: number) => void;
      proto.clear = function (this: WebGL2RenderingContext, mask: number) {
        if (mask & this.COLOR_BUFFER_BIT) log(this, 'C');
        clear.call(this, mask);
      };
      const draw = Object.getOwnPropertyDescriptor(proto, 'drawArrays')?.value as (this: WebGL2RenderingContext, mode: number, first: number, count: number) => void;
      proto.drawArrays = function (this: WebGL2RenderingContext, mode: number, first: number, count: number) {
        const program = this.getParameter(this.CURRENT_PROGRAM) as WebGLProgram | null;
        if (program) {
          if (!kind.has(program)) {
            const fs = (this.getAttachedShaders(program) ?? []).map((s) => this.getShaderSource(s) ?? '').join('\n');
            // vtk's image mapper samples its slice as texture1 and colours it through colorTexture1.
            kind.set(program, !/\btexture1\b/.test(fs) || !/\bcolorTexture1\b/.test(fs) ? '' : /\bhsamLabels\b/.test(fs) ? 'L' : 'I');
          }
          if (kind.get(program)) log(this, kind.get(program)!);
        }
        draw.call(this, mode, first, count);
      };
    });
    await openApp();
    await page.keyboard.press('b');
    await page.getByTestId('segment-spleen').getByTestId('segment-select').click();
    await page.evaluate(() => (window as unknown as { __draws: Map<string, string[]> }).__draws.clear());
    await strokeThenStep([0.3, 0.6], [0.4, 0.65]);
    const frames = await page.evaluate(() =>
      (window as unknown as { __draws: Map<string, string[]> }).__draws
        .get('view-axial')!
        .join('')
        .split('C')
        .filter((f) => f !== ''),
    );
    // The stroke's dabs and the step each drew at least one frame; each frame one pass, with the labels.
    expect(frames.length).toBeGreaterThan(2);
    expect(new Set(frames)).toEqual(new Set(['L']));
    expect(session.problems).toEqual([]);
  });
});
