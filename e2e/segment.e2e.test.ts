/**
 * One click to segment, in the real renderer: the demo model loads at start and says where it
 * runs, Auto-segment labels every slice with progress, the overlay shows the organs in their
 * colours, the segment list measures them, the run undoes and redoes as one step, and a run can
 * be cancelled.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../test-support/paths.js';
import { SAMPLE_PATH, type TestHost } from './host/test-host.js';
import { runCli } from '../electron/cli/hsam.js';
import { readNifti } from '../electron/services/imaging/nifti.js';
import { openSession, type Session } from './fixtures.js';
import type { WorkstationPage } from './pages/workstation.js';
import { DEMO_LABEL } from '../test-support/demo-model.js';

let session: Session;
let host: TestHost;
let page: Page;
let ws: WorkstationPage;

beforeAll(async () => {
  session = await openSession();
  ({ host, page, ws } = session);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
});

afterAll(() => session?.close());

describe('one-click segmentation', () => {
  it('loads the bundled demo model and says which hardware runs it', async () => {
    const status = page.getByTestId('model-status');
    await status.waitFor({ timeout: 30_000 });
    const text = (await status.textContent()) ?? '';
    expect(text).toContain(`${DEMO_LABEL} on CPU, int8`); // the card offers int8; the CPU runs it
    expect(text).toContain('CUDA unavailable');
  });

  it('Auto-segment labels the study: overlay in the organs’ colours, volumes in the segment list', async () => {
    const before = await ws.colouredFraction('axial');
    expect(before).toBeLessThan(0.01);
    await page.getByTestId('auto-segment').click();
    await expect.poll(() => page.getByTestId('last-run').textContent(), { timeout: 60_000 }).toMatch(/^30\/30 slices in/);
    await expect.poll(() => ws.colouredFraction('axial'), { timeout: 20_000 }).toBeGreaterThan(0.05);
    // Provenance on screen: the shown slice was written by this model version.
    expect(await ws.axialView.getByTestId('slice-status').textContent()).toContain(`auto (${DEMO_LABEL})`);

    // What the data says: main's label volume, read through the API.
    const counts = await ws.labelCounts();
    expect(counts[5]).toBeGreaterThan(1000); // liver
    const ml = Number.parseFloat((await page.getByTestId('segment-liver').getByTestId('segment-volume').textContent()) ?? '');
    expect(ml).toBeCloseTo((counts[5] ?? 0) * 0.027, 1);
  });

  it('the run is one undo step: Undo is enabled after it and takes the whole run back, Redo restores it', async () => {
    const counts = await ws.labelCounts();
    const undo = page.getByTestId('undo');
    const redo = page.getByTestId('redo');
    await expect.poll(() => undo.isEnabled()).toBe(true);
    expect(await redo.isEnabled()).toBe(false);
    await undo.click();
    // Main's labels are empty again, and so is the screen (the renderer mirrored the undo's change).
    await expect.poll(async () => (await ws.labelCounts()).slice(1).reduce((a, b) => a + b, 0)).toBe(0);
    await expect.poll(() => ws.colouredFraction('axial')).toBeLessThan(0.01);
    await expect.poll(() => redo.isEnabled()).toBe(true);
    expect(await undo.isEnabled()).toBe(false);
    await redo.click();
    await expect.poll(async () => (await ws.labelCounts())[5]).toBe(counts[5]);
    await expect.poll(() => ws.colouredFraction('axial')).toBeGreaterThan(0.05);
    expect(await undo.isEnabled()).toBe(true);
  });

  it('a screenshot of the segmented study, as the README shows it', async () => {
    // The README's picture is this test's: HSAM_SCREENSHOT=docs/screenshot.png npx vitest run e2e/segment.e2e.test.ts
    const target = process.env['HSAM_SCREENSHOT'] ?? join(mkdtempSync(join(tmpdir(), 'hsam-e2e-shot-')), 'screenshot.png');
    await page.screenshot({ path: target });
    const png = PNG.sync.read(readFileSync(target));
    expect([png.width, png.height]).toEqual(page.viewportSize() ? [page.viewportSize()!.width, page.viewportSize()!.height] : [png.width, png.height]);
    expect(await ws.colouredFraction('axial')).toBeGreaterThan(0.05);
  });

  it('About: the versions it runs on, and the licence notices of everything bundled', async () => {
    await page.getByTestId('open-about').click();
    const versions = page.getByTestId('about-versions');
    await versions.waitFor();
    const text = (await versions.textContent()) ?? '';
    expect(text).toContain(`Node.js${process.versions.node}`);
    expect(text).toMatch(/onnxruntime1\.\d+\.\d+/);
    expect(text).toContain('hsam-tiny-demo');
    expect(text).toMatch(/Chromium\d+\./);
    await page.getByTestId('show-licenses').click();
    const notices = (await page.getByTestId('licenses').textContent()) ?? '';
    // The production tree, the renderer's bundled libraries included.
    for (const name of ['onnxruntime-node', 'dcmjs', 'zod', '@kitware/vtk.js', 'svelte']) expect(notices).toContain(name);
    await page.getByTestId('close-about').click();
    await expect.poll(() => page.getByTestId('about').count()).toBe(0);
  });

  it('the window gets the very labels the command line writes for the same study', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hsam-e2e-cli-')), 'sample.labels.nii.gz');
    const code = await runCli(['segment', SAMPLE_PATH, '--out', out, '--device', 'cpu'], () => {}, () => {});
    expect(code).toBe(0);
    const cliLabels = (await readNifti(out)).voxels;
    const sha = (a: Uint8Array | ArrayLike<number>): string => createHash('sha256').update(Uint8Array.from(a)).digest('hex');
    expect(sha((await ws.labels()).labels)).toBe(sha(cliLabels));
  });

  it('hiding a class removes its colour from the views', async () => {
    const shown = await ws.colouredFraction('axial');
    await page.getByTestId('segment-liver').getByTestId('segment-visibility').click();
    await expect.poll(() => ws.colouredFraction('axial')).toBeLessThan(shown * 0.8);
    await page.getByTestId('segment-liver').getByTestId('segment-visibility').click();
    await expect.poll(() => ws.colouredFraction('axial')).toBeGreaterThan(shown * 0.95);
  });

  it('Cancel stops a run and keeps the slices that finished', async () => {
    // The larger CT (112 slices, batches of up to 8) runs long enough to cancel after the first batch.
    const file = host.workstation.files.grant(join(TOTALSEG, 'example_ct.nii.gz'), 'dialog');
    host.emit('openFile', { file });
    await expect.poll(() => page.getByTestId('dims').textContent(), { timeout: 30_000 }).toBe('122 × 101 × 112 voxels');
    // The status bar no longer reports the run of the study opened before.
    expect(await page.getByTestId('last-run').count()).toBe(0);
    await page.getByTestId('auto-segment').click();
    const progress = page.getByTestId('segment-progress');
    // Read without waiting for the element: it disappears when the run ends.
    const shown = async (): Promise<string> => (await progress.textContent({ timeout: 200 }).catch(() => null)) ?? '';
    await expect.poll(shown, { timeout: 30_000, interval: 20 }).toMatch(/left/);
    // A short timeout: if the run ended before the click, say so rather than wait for a button that is gone.
    await page.getByTestId('cancel-segment').click({ timeout: 5_000 });
    await expect.poll(() => page.getByTestId('last-run').textContent(), { timeout: 40_000 }).toMatch(/^\d+\/112 slices/);
    const text = (await page.getByTestId('last-run').textContent()) ?? '';
    expect(text).toMatch(/\(cancelled\)$/);
    const [done, total] = text.split(' ')[0]!.split('/').map(Number);
    expect(total).toBe(112);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(112);
  }, 120_000);

});
