/**
 * The annotator's day in the real renderer: a worklist of three studies (the shared NIfTI, the
 * DICOM series, a copy with hsam segment's labels beside it), the next case pre-segmented in the
 * background, Save & next, per-study state that starts afresh, a model folder chosen in the UI,
 * and a banner that goes when the action it reported succeeds.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEG } from '../test-support/paths.js';
import { readVolume } from '../electron/services/imaging/read-volume.js';
import { DEMO_MODEL, type TestHost } from './host/test-host.js';
import { openSession, type Session } from './fixtures.js';
import type { WorkstationPage } from './pages/workstation.js';

let session: Session;
let host: TestHost;
let page: Page;
let ws: WorkstationPage;
let cases: string;

const caseRow = (n: number) => page.getByTestId('case').nth(n);
const statusOf = (n: number) => caseRow(n).getAttribute('data-status');
/** Wait until the named case is the open one. */
const current = (name: string) => page.locator('[data-testid=case].current').filter({ hasText: name }).waitFor({ timeout: 60_000 });

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hsam-e2e-worklist-'));
  cases = join(dir, 'cases');
  mkdirSync(cases);
  cpSync(join(TOTALSEG, 'example_ct_sm.nii.gz'), join(cases, 'a_ct.nii.gz'));
  cpSync(join(TOTALSEG, 'example_ct_dicom'), join(cases, 'b_dicom'), { recursive: true });
  cpSync(join(TOTALSEG, 'example_ct_sm.nii.gz'), join(cases, 'c_copy.nii.gz'));
  cpSync(join(TOTALSEG, 'example_seg.nii.gz'), join(cases, 'c_copy.labels.nii.gz'));
  session = await openSession({ width: 1280, height: 860 });
  ({ host, page, ws } = session);
  await page.getByTestId('model-status').waitFor({ timeout: 30_000 });
});

afterAll(() => session?.close());

describe('worklist', () => {
  it('opens a folder of studies: three cases, the first open, the next one pre-segmented in the background', async () => {
    host.dialogAnswers.push(cases);
    await page.getByTestId('open-worklist').click();
    await expect.poll(() => page.getByTestId('case').count()).toBe(3);
    await page.getByTestId('study-name').filter({ hasText: 'a_ct.nii.gz' }).waitFor();
    expect(await page.getByTestId('case').allInnerTexts()).toEqual([
      expect.stringContaining('a_ct.nii.gz') as unknown,
      expect.stringContaining('b_dicom') as unknown,
      expect.stringContaining('c_copy.nii.gz') as unknown,
    ]);
    // hsam segment's labels for c_copy are waiting for it.
    expect(await caseRow(2).innerText()).toContain('labels from hsam segment');
    await expect.poll(() => statusOf(1), { timeout: 90_000 }).toBe('auto-segmented');
    expect(await statusOf(0)).toBe('new');
  }, 120_000);

  it('per-study state: the review position of one case is not shown on the next; Save & next opens it with its labels at once', async () => {
    await page.getByTestId('auto-segment').click();
    await expect.poll(() => statusOf(0), { timeout: 60_000 }).toBe('auto-segmented');
    await page.keyboard.press('k');
    await page.getByTestId('review-info').waitFor();
    expect(await page.getByTestId('undo').isEnabled()).toBe(true);

    await page.keyboard.press('Control+Enter');
    await current('b_dicom');
    await page.getByTestId('study-name').filter({ hasText: 'CT Body' }).waitFor();
    expect(await statusOf(0)).toBe('reviewed');
    // Labels at once: the background run's, no run here.
    await expect.poll(() => ws.colouredFraction('axial'), { timeout: 10_000 }).toBeGreaterThan(0.01);
    expect(await page.getByTestId('segment-progress').count()).toBe(0);
    expect(await page.getByTestId('review-info').count()).toBe(0);
    expect(await page.getByTestId('last-run').count()).toBe(0);
    expect(await page.getByTestId('undo').isEnabled()).toBe(false);
    expect(await page.getByTestId('worklist-count').innerText()).toBe('1 / 3 done');
    // The status strip's legend: all 20 slices of the pre-segmented series are "auto".
    expect(await page.getByTestId('status-legend').innerText()).toMatch(/untouched 0\s+auto 20\s+corrected 0\s+reviewed 0/);
  }, 120_000);

  it('an edit marks the case in progress; the case with hsam segment labels opens with them', async () => {
    await page.getByTestId('tool-brush').click();
    const [x, y] = await ws.at('axial', [0.5, 0.5]);
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 20, y + 5, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => statusOf(1)).toBe('in progress');
    await page.getByTestId('save-next').click();
    await current('c_copy.nii.gz');
    await page.getByTestId('study-name').filter({ hasText: 'c_copy.nii.gz' }).waitFor();
    await page.getByTestId('labels-from').filter({ hasText: 'hsam segment' }).waitFor();
    const reference = await readVolume(join(TOTALSEG, 'example_seg.nii.gz'));
    const { labels } = await ws.labels();
    expect(Buffer.from(labels).equals(Buffer.from(reference.voxels as Uint8Array))).toBe(true);
    expect(await statusOf(2)).toBe('auto-segmented');
    await page.screenshot({ path: join(tmpdir(), 'hsam-worklist.png') });
  }, 120_000);

  it('a model folder chosen in the UI: a wrong one says why in a banner that goes when a right one loads; the views do not move', async () => {
    const box = await page.getByTestId('view-3d-cell').boundingBox();
    host.dialogAnswers.push(cases);
    await page.getByTestId('choose-model').click();
    const banner = page.getByTestId('error');
    await banner.waitFor();
    expect(await banner.innerText()).toMatch(/model\.json/);
    expect(await page.getByTestId('view-3d-cell').boundingBox()).toEqual(box);
    host.dialogAnswers.push(DEMO_MODEL);
    await page.getByTestId('choose-model').click();
    await expect.poll(() => banner.count()).toBe(0);
    expect(await page.getByTestId('model-status').innerText()).toContain('hsam-tiny-demo');
    // Never cut off, even with the pointer's readout beside it.
    const [x, y] = await ws.at('axial', [0.5, 0.5]);
    await page.mouse.move(x, y);
    await page.getByTestId('readout').filter({ hasText: 'mm' }).waitFor();
    expect(await page.getByTestId('model-status').evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  }, 60_000);

  it('an added label is painted, kept by a model run, and exported with its name', async () => {
    // Case a (the c_copy labels are TotalSegmentator's 41 classes, which the demo model does not name).
    await caseRow(0).click();
    await current('a_ct.nii.gz');
    await page.getByTestId('new-label-name').fill('lesion');
    await page.getByTestId('add-label').click();
    await expect.poll(() => page.getByTestId('extra-label-name').inputValue()).toBe('lesion');
    // The new label is the active class: paint it.
    await page.getByTestId('tool-brush').click();
    // Unlabelled tissue (the default paint-over rule keeps the organs).
    const [x, y] = await ws.at('axial', [0.2, 0.72]);
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 12, y + 4, { steps: 3 });
    await page.mouse.up();
    await expect.poll(async () => (await ws.labelCounts())[9]).toBeGreaterThan(0);
    const lesion = (await ws.settledLabelCounts())[9]!;
    await page.getByTestId('auto-segment').click();
    await expect.poll(() => page.getByTestId('segment-progress').count(), { timeout: 60_000 }).toBe(0);
    expect((await ws.labelCounts())[9]).toBe(lesion);
    const out = join(mkdtempSync(join(tmpdir(), 'hsam-e2e-export-')), 'case.nii.gz');
    host.dialogAnswers.push(out);
    await page.getByTestId('export-nifti').click();
    await expect.poll(() => page.getByTestId('export-result').textContent(), { timeout: 30_000 }).toContain('Saved case.nii.gz');
    const exported = await readVolume(out);
    expect((exported.voxels as Uint8Array).reduce((n, v) => n + (v === 9 ? 1 : 0), 0)).toBe(lesion);
    // ITK-SNAP's label description beside it names the label.
    const description = readdirSync(dirname(out)).find((f) => f.endsWith('.txt'));
    expect(readFileSync(join(dirname(out), description!), 'utf8')).toMatch(/^\s*9\s+255\s+0\s+255\s+.*"lesion"/m);
  }, 120_000);

  it('a zipped model worse than its parent is added, flagged, not loaded, and offered only as "Use anyway"', async () => {
    // A fine-tuned version as another machine would have made it: the demo's graphs, a card that
    // says it scored below its parent on the same held-out slices; zipped by Python's zipfile.
    const dir = mkdtempSync(join(tmpdir(), 'hsam-e2e-model-'));
    const folder = join(dir, 'demo-ft');
    cpSync(DEMO_MODEL, folder, { recursive: true });
    const card = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as { version: string; quality: { mean: number }; provenance: Record<string, unknown> };
    const parent = card.version;
    card.provenance['parent'] = { name: 'hsam-tiny-demo', version: parent };
    card.provenance['baseline'] = { perClass: { liver: 0.8 }, mean: card.quality.mean + 0.1 };
    card.version = `${parent}+ft.worse`;
    writeFileSync(join(folder, 'model.json'), JSON.stringify(card, null, 2));
    const zip = join(dir, 'demo-ft.zip');
    execFileSync('/usr/bin/python3', ['-c', 'import shutil,sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2], "demo-ft")', zip.slice(0, -4), dir]);
    host.dialogAnswers.push(zip);
    await page.getByTestId('add-model-zip').click();
    const notice = page.getByTestId('import-notice');
    await expect
      .poll(() => notice.innerText().catch(() => ''), { timeout: 30_000 })
      .toMatch(new RegExp(`^hsam-tiny-demo ${parent.replaceAll('.', '\\.')}\\+ft\\.worse added but not loaded: Worse than ${parent.replaceAll('.', '\\.')}: mean Dice`));
    const row = page.getByTestId('model-version').filter({ hasText: '+ft.worse' });
    expect(await row.innerText()).toContain('worse');
    expect(await row.getByTestId('use-version').innerText()).toBe('Use anyway');
    expect(await page.getByTestId('model-status').innerText()).toContain(`hsam-tiny-demo ${parent} on CPU`);
  }, 60_000);

  it('a list file is a worklist too: its studies in its order, paths relative to it, comments skipped', async () => {
    const list = join(dirname(cases), 'today.txt');
    writeFileSync(list, '# two studies for today\ncases/c_copy.nii.gz\n\ncases/b_dicom\n');
    host.dialogAnswers.push(list);
    await page.getByTestId('open-worklist-list').click();
    await page.getByTestId('worklist-name').filter({ hasText: 'today.txt' }).waitFor();
    expect(await page.getByTestId('case').allInnerTexts()).toEqual([expect.stringContaining('c_copy.nii.gz') as unknown, expect.stringContaining('b_dicom') as unknown]);
    await current('c_copy.nii.gz');
  }, 60_000);

  it('M over the 3D view maximizes the 3D view', async () => {
    const cell = page.getByTestId('view-3d-cell');
    const box = (await cell.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.press('m');
    await expect.poll(async () => (await cell.boundingBox())!.width).toBeGreaterThan(box.width * 1.5);
    await page.keyboard.press('m');
    await expect.poll(async () => (await cell.boundingBox())!.width).toBeLessThan(box.width * 1.1);
  });
});
