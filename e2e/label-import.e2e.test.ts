/**
 * Labels other tools wrote, brought onto the open study in the real renderer: TotalSegmentator's
 * NIfTI of the shared DICOM series (rows flipped, as dcm2niix writes them) with its class list, a
 * DICOM SEG built by pydicom, and a 3D Slicer style layered .seg.nrrd; each as one undoable step,
 * its organs on the model's classes and the rest as labels of the annotator's own.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../test-support/paths.js';
import { writePydicomSeg } from '../test-support/pydicom-seg.js';
import { writeLayeredSegNrrd } from '../test-support/slicer-seg-nrrd.js';
import type { TestHost } from './host/test-host.js';
import { openSession, type Session } from './fixtures.js';
import type { WorkstationPage } from './pages/workstation.js';

const SERIES = join(TOTALSEG, 'example_ct_dicom');
const LIVER = 5;
let session: Session;
let host: TestHost;
let page: Page;
let ws: WorkstationPage;
const dir = mkdtempSync(join(tmpdir(), 'hsam-e2e-import-'));

/** Choose a file in the "Open labels…" flow, optionally its class table, and bring it in. */
async function bringIn(file: string, as: 'proposal' | 'human', classes?: string): Promise<string> {
  host.dialogAnswers.push(file);
  await page.getByTestId('open-labels').click();
  const dialog = page.getByTestId('label-import');
  await dialog.waitFor();
  if (classes) {
    host.dialogAnswers.push(classes);
    await dialog.getByTestId('label-import-classes').click();
    await expect.poll(() => dialog.innerText()).toContain('totalsegmentator_classes.json');
  }
  await dialog.getByTestId(as === 'human' ? 'label-import-human' : 'label-import-proposal').click();
  await expect.poll(() => dialog.count(), { timeout: 30_000 }).toBe(0);
  const notice = page.getByTestId('restored');
  await notice.waitFor();
  return notice.innerText();
}

beforeAll(async () => {
  session = await openSession({ width: 1280, height: 860 });
  ({ host, page, ws } = session);
  await page.getByTestId('study-name').filter({ hasText: 'example_ct_sm.nii.gz' }).waitFor();
  await page.getByTestId('model-status').waitFor({ timeout: 30_000 });
}, 90_000);

afterAll(() => session?.close());

describe('labels from other tools onto the open study', () => {
  it('a layered .seg.nrrd as 3D Slicer writes it', async () => {
    const out = join(dir, 'slicer.seg.nrrd');
    const f = writeLayeredSegNrrd(join(TOTALSEG, 'example_seg.nii.gz'), out);
    const text = await bringIn(out, 'human');
    expect(text).toMatch(/^slicer\.seg\.nrrd: [\d,]+ labelled voxels as your labels; 4 classes matched the model's, 1 added as labels of your own\./);
    expect(text).toContain(`${f.shared} voxels lie in more than one segment of slicer.seg.nrrd`);
    const liver = f.flat.filter((v) => v === 1).length;
    expect((await ws.labelCounts())[LIVER]).toBe(liver);
    await expect.poll(() => page.getByTestId('extra-label-name').inputValue()).toBe('Tumour');
  }, 90_000);

  it('(the shared DICOM series opens)', async () => {
    host.dialogAnswers.push(SERIES);
    await page.getByTestId('open-folder').click();
    // The series has warnings, so the picker asks.
    await page.getByTestId('series-picker').getByTestId('open-series').click({ timeout: 30_000 });
    await page.getByTestId('dims').filter({ hasText: '512 × 512 × 20 voxels' }).waitFor({ timeout: 60_000 });
  }, 90_000);

  it("TotalSegmentator's NIfTI (dcm2niix's row order) with its class list, as the annotator's labels", async () => {
    const text = await bringIn(join(TOTALSEG, 'example_seg_dicom.nii.gz'), 'human', join(TOTALSEG, 'totalsegmentator_classes.json'));
    // The file holds 31 structures; 5 of them are organs the model has.
    expect(text).toMatch(/^example_seg_dicom\.nii\.gz: [\d,]+ labelled voxels as your labels; 5 classes matched the model's, 26 added as labels of your own\./);
    expect(text).toContain("they were put back in the volume's order");
    const counts = await ws.labelCounts();
    expect(counts[LIVER]).toBeGreaterThan(50_000);
    // The added classes are listed as labels of the annotator's own, and are what the views show.
    // Tumour (from the .seg.nrrd) and the 26 new ones.
    await expect.poll(() => page.getByTestId('extra-label').count()).toBe(27);
    expect(await ws.colouredFraction('axial')).toBeGreaterThan(0.05);
    expect(await page.getByTestId('undo').isEnabled()).toBe(true);
    await page.getByTestId('undo').click();
    await expect.poll(async () => (await ws.labelCounts())[LIVER]).toBe(0);
  }, 90_000);

  it('a DICOM SEG built by pydicom, as the model’s proposal', async () => {
    const out = join(dir, 'pydicom.dcm');
    writePydicomSeg({ series: SERIES, labels: join(TOTALSEG, 'example_seg_dicom.nii.gz'), out, type: 'BINARY', segments: [[5, 'Liver'], [1, 'spleen']] });
    const text = await bringIn(out, 'proposal');
    expect(text).toMatch(/^pydicom\.dcm: [\d,]+ labelled voxels as the model's proposal; 2 classes matched the model's, 1 added/);
    expect((await ws.labelCounts())[LIVER]).toBeGreaterThan(50_000);
    // Shown as the proposal of the file, slice by slice.
    expect(await page.getByTestId('view-axial').innerText()).toContain('imported pydicom.dcm');
    await page.screenshot({ path: join(tmpdir(), 'hsam-label-import.png') });
    expect(session.problems).toEqual([]);
  }, 90_000);

});
