/**
 * The walking skeleton end to end: the real renderer in Debian's Chromium, against the test
 * host's copy of the API, opens the bundled sample CT and draws its axial slice with vtk.js.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from './host/test-host.js';
import { openSession, type Session } from './fixtures.js';
import type { WorkstationPage} from './pages/workstation.js';
import { type Readout } from './pages/workstation.js';
import { pythonJson } from '../test-support/python.js';
import { channels } from '../common/contract/api.js';
import { REPO_ROOT, TOTALSEG } from '../test-support/paths.js';

let session: Session;
let host: TestHost;
let page: Page;
let ws: WorkstationPage;
let problems: string[];

beforeAll(async () => {
  session = await openSession({ width: 1000 });
  ({ host, page, ws, problems } = session);
});

afterAll(() => session?.close());

describe('open the sample CT', () => {
  it('shows the sample study with its geometry', async () => {
    await expect.poll(() => ws.studyName.textContent()).toBe('example_ct_sm.nii.gz');
    expect(await page.getByTestId('dims').textContent()).toBe('122 × 101 × 30 voxels');
    expect(await ws.sliceIndicator.textContent()).toBe('Slice 16 / 30');
  });

  it('draws the axial slice: real image content, not an empty canvas', async () => {
    await expect.poll(async () => (await ws.axialPixels()).levels, { timeout: 20_000 }).toBeGreaterThan(30);
    const stats = await ws.axialPixels();
    // A windowed abdominal CT: soft tissue mid-grey, air black, bone white.
    expect(stats.std).toBeGreaterThan(20);
    expect(stats.mean).toBeGreaterThan(10);
    expect(stats.mean).toBeLessThan(245);
  });

  it('shows coronal and sagittal views too, with radiological orientation letters', async () => {
    expect(await ws.letters('axial')).toBe('R L A P');
    expect(await ws.letters('coronal')).toBe('R L S I');
    expect(await ws.letters('sagittal')).toBe('A P S I');
    for (const plane of ['coronal', 'sagittal'] as const) {
      await expect.poll(async () => (await ws.pixels(plane)).levels, { timeout: 20_000 }).toBeGreaterThan(30);
    }
    expect(await ws.view('coronal').getByTestId('slice-indicator').textContent()).toBe('Slice 51 / 101');
    expect(await ws.view('sagittal').getByTestId('slice-indicator').textContent()).toBe('Slice 62 / 122');
  });

  it('steps slices with the keyboard in the focused view', async () => {
    const before = await ws.currentSlice('coronal');
    await ws.view('coronal').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('PageUp');
    await expect.poll(() => ws.currentSlice('coronal')).toBe(before + 11);
  });

  it('scrolls slices with the mouse wheel and the picture changes', async () => {
    const before = await ws.axialPixels();
    const sliceBefore = await ws.currentSlice();
    await ws.scroll(-5);
    await expect.poll(() => ws.currentSlice()).toBe(sliceBefore + 5);
    const after = await ws.axialPixels();
    expect(Math.abs(after.mean - before.mean) + Math.abs(after.std - before.std)).toBeGreaterThan(0.5);
    await ws.scroll(100);
    await expect.poll(() => ws.currentSlice()).toBe(0);
    expect(await ws.sliceIndicator.textContent()).toBe('Slice 1 / 30');
  });

  it('runs under the strict CSP with no Node in the page and no errors', async () => {
    const exposed = await page.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      api: Object.keys((window as unknown as { hsam: object }).hsam).sort(),
    }));
    const namespaces = [...new Set(channels.map((c) => c.split('.')[0])), 'events'].sort();
    expect(exposed).toEqual({ require: 'undefined', process: 'undefined', api: namespaces });
    // Nothing the app itself did was refused or failed (CSP violations are console errors).
    expect(problems).toEqual([]);
    // Inline script is refused by the CSP (no 'unsafe-inline'), and the refusal is reported.
    const inline = await page.evaluate(async () => {
      const violation = new Promise<string>((resolve) =>
        document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true }),
      );
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
      return { ran: '__inlineRan' in window, directive: await violation };
    });
    expect(inline).toEqual({ ran: false, directive: 'script-src-elem' });
  });
});

describe('open other files', () => {
  const MR = join(TOTALSEG, 'example_mr_sm.nii.gz');

  it('Open… loads the file the user picks and draws it', async () => {
    host.dialogAnswers.push(MR);
    await page.getByTestId('open-file').click();
    await expect.poll(() => ws.studyName.textContent()).toBe('example_mr_sm.nii.gz');
    expect(await page.getByTestId('dims').textContent()).toBe('117 × 91 × 20 voxels');
    await expect.poll(async () => (await ws.axialPixels()).levels, { timeout: 20_000 }).toBeGreaterThan(30);
  });

  it('a cancelled dialog changes nothing and shows no error', async () => {
    await page.getByTestId('open-file').click();
    await page.waitForTimeout(300);
    expect(await ws.studyName.textContent()).toBe('example_mr_sm.nii.gz');
    expect(await ws.error.count()).toBe(0);
  });

  it('an unreadable file is reported in the window and the open study stays', async () => {
    host.dialogAnswers.push(join(REPO_ROOT, 'README.md'));
    await page.getByTestId('open-file').click();
    await expect.poll(() => ws.error.textContent()).toContain('README.md: unsupported file type');
    expect(await ws.studyName.textContent()).toBe('example_mr_sm.nii.gz');
  });

  it('opens what main sends (File menu, second instance)', async () => {
    const file = host.workstation.files.grant(join(TOTALSEG, 'example_ct.nii.gz'), 'dialog');
    host.emit('openFile', { file });
    await expect.poll(() => ws.studyName.textContent()).toBe('example_ct.nii.gz');
    expect(await page.getByTestId('dims').textContent()).toBe('122 × 101 × 112 voxels');
  });
});

describe('cursor readout', () => {
  it('names the voxel under the pointer: index, patient mm and value agree with nibabel', async () => {
    const file = host.workstation.files.grant(join(TOTALSEG, 'example_ct_sm.nii.gz'), 'dialog');
    host.emit('openFile', { file });
    await expect.poll(() => ws.studyName.textContent()).toBe('example_ct_sm.nii.gz');
    await expect.poll(async () => (await ws.axialPixels()).levels, { timeout: 20_000 }).toBeGreaterThan(30);
    const at = async (fx: number, fy: number): Promise<Readout> => {
      const box = await ws.axialView.boundingBox();
      if (!box) throw new Error('no axial view');
      await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
      return ws.readout();
    };
    const centre = await at(0.5, 0.5);
    const right = await at(0.6, 0.5);
    const up = await at(0.5, 0.4);
    // Radiological: screen right is the patient's left (+x in LPS), screen up is anterior (−y).
    expect(right.world[0]).toBeGreaterThan(centre.world[0] + 10);
    expect(up.world[1]).toBeLessThan(centre.world[1] - 10);
    expect(centre.ijk[2]).toBe(15);
    const ref = pythonJson<{ value: number; world: number[] }[]>(
      String.raw`
import json, sys
import numpy as np, nibabel as nib
a = json.load(sys.stdin); img = nib.load(a["path"]); d = np.asanyarray(img.dataobj)
out = []
for i, j, k in a["ijk"]:
    w = img.affine @ [i, j, k, 1]
    out.append(dict(value=float(d[i, j, k]), world=[-w[0], -w[1], w[2]]))
print(json.dumps(out))`,
      { path: join(TOTALSEG, 'example_ct_sm.nii.gz'), ijk: [centre.ijk, right.ijk, up.ijk] },
    );
    [centre, right, up].forEach((r, n) => {
      expect(r.value).toBe(ref[n]?.value);
      // The pointer lies within half a voxel (1.5 mm) of the centre of the voxel it names, give or
      // take one screen pixel (about 0.8 mm at this zoom) for where the mouse lands in the pixel.
      r.world.forEach((w, a) => expect(Math.abs(w - (ref[n]?.world[a] as number))).toBeLessThanOrEqual(1.5 + 0.8));
    });
  });
});
