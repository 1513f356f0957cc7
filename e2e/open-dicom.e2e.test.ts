/**
 * Opening DICOM folders as a user does: Open folder…, the scan with its progress, the series
 * picker (with warnings and what was skipped), then the chosen series in the three views.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../test-support/paths.js';
import type { TestHost } from './host/test-host.js';
import { openSession, type Session } from './fixtures.js';
import type { WorkstationPage } from './pages/workstation.js';

const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

let session: Session;
let host: TestHost;
let page: Page;
let ws: WorkstationPage;
const progressSeen: string[] = [];

beforeAll(async () => {
  session = await openSession();
  ({ host, page, ws } = session);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
  // Record the progress bar whenever it shows, without racing it.
  await page.exposeFunction('__progress', (t: string) => progressSeen.push(t));
  await page.evaluate(() => {
    new MutationObserver(() => {
      const p = document.querySelector('[data-testid="progress"]');
      if (p?.textContent) (window as unknown as { __progress: (t: string) => void }).__progress(p.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
});

afterAll(() => session?.close());

describe('open a DICOM folder', () => {
  it('scans the shared JPEG 2000 CT series, shows it in the picker with its warning, and opens it', async () => {
    host.dialogAnswers.push(join(TOTALSEG, 'example_ct_dicom'));
    await page.getByTestId('open-folder').click();
    const picker = page.getByTestId('series-picker');
    await expect.poll(() => picker.isVisible(), { timeout: 30_000 }).toBe(true);
    const rows = picker.getByTestId('series-row');
    expect(await rows.count()).toBe(1);
    const row = await rows.first().textContent();
    expect(row).toContain('CT');
    expect(row).toContain('512×512');
    expect(await picker.getByTestId('series-warning').count()).toBeGreaterThan(0);
    await picker.getByTestId('open-series').click();
    await expect.poll(() => page.getByTestId('dims').textContent(), { timeout: 60_000 }).toBe('512 × 512 × 20 voxels');
    expect(await picker.count()).toBe(0);
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      await expect.poll(async () => (await ws.pixels(plane)).levels, { timeout: 20_000 }).toBeGreaterThan(30);
    }
    expect(await ws.letters('axial')).toBe('R L A P');
    expect(progressSeen.some((t) => t.includes('Decoding images'))).toBe(true);
  });

  it('a mixed folder: every image series listed, reports and structure sets set aside, the chosen one opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hsam-mixed-'));
    mkdirSync(join(dir, 'ct'));
    for (const f of readdirSync(join(TOTALSEG, 'example_ct_dicom')).slice(0, 5)) copyFileSync(join(TOTALSEG, 'example_ct_dicom', f), join(dir, 'ct', f));
    for (const f of ['MR_small.dcm', 'test-SR.dcm', 'liver_1frame.dcm']) copyFileSync(join(PYDICOM_FILES, f), join(dir, f));
    writeFileSync(join(dir, 'notes.txt'), 'not a DICOM file');
    host.dialogAnswers.push(dir);
    await page.getByTestId('open-folder').click();
    const picker = page.getByTestId('series-picker');
    await expect.poll(() => picker.isVisible(), { timeout: 30_000 }).toBe(true);
    const rows = picker.getByTestId('series-row');
    expect(await rows.count()).toBe(2);
    const skipped = (await picker.getByTestId('skipped').textContent()) ?? '';
    expect(skipped).toContain('Not opened: 2 non-image series, 1 unreadable files');
    // Each series shows its middle image, decoded in main: grey levels of a real image, in its
    // aspect (both are square-pixelled and square here).
    const previews = picker.getByTestId('series-preview');
    await expect.poll(() => previews.count(), { timeout: 20_000 }).toBe(2);
    const drawn = await previews.evaluateAll((canvases) =>
      canvases.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const rgba = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
        const levels = new Set<number>();
        for (let i = 0; i < rgba.length; i += 4) levels.add(rgba[i] as number);
        return { size: `${canvas.width}×${canvas.height}`, levels: levels.size, shown: canvas.getBoundingClientRect().width };
      }),
    );
    for (const d of drawn) {
      expect(d.size).toBe('64×64');
      expect(d.levels).toBeGreaterThan(30);
      expect(d.shown).toBeGreaterThan(40);
    }
    const texts = await rows.allTextContents();
    const mr = texts.findIndex((t) => t.includes('MR'));
    await rows.nth(mr).dblclick();
    await expect.poll(() => page.getByTestId('dims').textContent(), { timeout: 30_000 }).toBe('64 × 64 × 1 voxels');
  });

  it('cancelling the picker keeps the open study', async () => {
    host.dialogAnswers.push(join(TOTALSEG, 'example_ct_dicom'));
    await page.getByTestId('open-folder').click();
    const picker = page.getByTestId('series-picker');
    await expect.poll(() => picker.isVisible(), { timeout: 30_000 }).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => picker.count()).toBe(0);
    expect(await page.getByTestId('dims').textContent()).toBe('64 × 64 × 1 voxels');
  });

  it('a folder the user chose from the command line (or a drop) opens through the same scan', async () => {
    const file = host.workstation.files.grant(join(TOTALSEG, 'example_ct_dicom'), 'drop');
    expect(file.kind).toBe('folder');
    host.emit('openFile', { file });
    await expect.poll(() => page.getByTestId('series-picker').isVisible(), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('open-series').click();
    await expect.poll(() => page.getByTestId('dims').textContent(), { timeout: 60_000 }).toBe('512 × 512 × 20 voxels');
  });
});
