/**
 * Editing benchmark in Chromium (viewer issue), on a 512×512×300 CT: the shared DICOM series
 * (512×512×20) stacked fifteen times along z and written as NIfTI, opened in the real renderer
 * through the test host, pre-segmented by the demo model. Measured in the page:
 *
 * - brush stroke → painted pixels: from each pointer event's timestamp to the first animation
 *   frame after the axial view rendered the stroke (User Timing mark `hsam:frame:axial`); an
 *   event that changed no pixel (a dab over voxels already of its class) is counted, not timed;
 * - slice scroll: from each wheel event to the first frame after the view rendered the new slice;
 *   timed after a warm-up that both pages get alike (warmUp), whose notches are the cold rows;
 * - the first stroke after a 3D surface update: begun as soon as the update's frame was drawn;
 * - 3D surface update for one class after an edit: the 3D view's own figure (`data-surface-ms`:
 *   diff, extraction in its worker, upload and render);
 * - undo history in main after every stroke of the run (the study's label session, read in the host), against the label volume.
 *
 * Targets: p95 ≤ 16 ms for strokes and scrolling, ≤ 300 ms for a surface update, undo history
 * ≤ 10 % of the label volume. Chromium here renders WebGL with SwiftShader (no GPU): a laptop's
 * GPU draws faster, so frame times are an upper bound.
 *
 * Run alone: npm run bench -- editing
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../e2e/browser.js';
import { startTestHost, type TestHost } from '../e2e/host/test-host.js';
import { encodeNiftiFile } from '../electron/services/imaging/nifti-write.js';
import { readVolume } from '../electron/services/imaging/read-volume.js';
import { TOTALSEG } from '../test-support/paths.js';
import type { BenchTable } from './table.js';

const DEPTH = Number(process.env['HSAM_BENCH_DEPTH'] ?? 300);
/** Timed blocks of 20 wheel notches on each page: 120 notches, so that p95 is not the third-worst of 60. */
const SCROLL_BLOCKS = 6;

export async function bigVolume(): Promise<string> {
  const dir = join(tmpdir(), 'hsam-bench-editing');
  const path = join(dir, `ct-512x512x${DEPTH}.nii.gz`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const v = await readVolume(join(TOTALSEG, 'example_ct_dicom'));
  const per = v.dims[0] * v.dims[1];
  const voxels = new Int16Array(per * DEPTH);
  for (let k = 0; k < DEPTH; k++) voxels.set((v.voxels as Int16Array).subarray((k % v.dims[2]) * per, ((k % v.dims[2]) + 1) * per), k * per);
  writeFileSync(path, encodeNiftiFile(path, { ...v, dims: [v.dims[0], v.dims[1], DEPTH], voxelType: 'int16', voxels }));
  return path;
}

export const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/**
 * What the page scripts below use of the browser, typed here: this file is compiled with the
 * Node project, which has no DOM types.
 */
interface PageGlobals {
  __lat: number[];
  __ours: number[];
  __pending: { t: number; at: number }[];
  __drewNothing: number;
  __frames3d: number;
  document: { querySelector(s: string): { getAttribute(a: string): string | null } | null };
}

/**
 * In the page: each input event matched to the axial view's render of it (User Timing mark
 * hsam:frame:axial) and the animation frame after. The workstation renders within the event's
 * own task (handler, then Svelte's effects in its microtasks), so a mark belongs to the last
 * event dispatched before it; an event followed by the next one without a mark drew nothing
 * (a brush dab over voxels already of its class) and is counted, not timed: pairing it with a
 * later frame would time the wait for the next event. Plain JavaScript source, not a function:
 * tsx would wrap a function's inner helpers in `__name`, which does not exist in the page.
 */
const PROBE = `(() => {
  window.__lat = [];
  window.__ours = [];
  window.__pending = [];
  window.__drewNothing = 0;
  window.__frames3d = 0;
  // Capture listeners run before the page's own: the dispatch time opens the event's window.
  const note = (e) => window.__pending.push({ t: e.timeStamp, at: performance.now() });
  window.addEventListener('pointermove', note, { capture: true });
  window.addEventListener('wheel', note, { capture: true });
  new PerformanceObserver((list) => {
    for (const m of list.getEntries()) {
      if (m.name === 'hsam:frame:3d') window.__frames3d++;
      if (m.name !== 'hsam:frame:axial') continue;
      const p = window.__pending;
      let last = -1;
      for (let i = 0; i < p.length; i++) if (p[i].at <= m.startTime) last = i;
      // No event since the last served one: a second render of it (main's answer), not timed.
      if (last < 0) continue;
      const served = p[last];
      window.__drewNothing += last;
      window.__pending = p.slice(last + 1);
      window.__ours.push(m.startTime - served.t);
      requestAnimationFrame(() => window.__lat.push(performance.now() - served.t));
    }
  }).observe({ entryTypes: ['mark'] });
})()`;

/**
 * The browser's own floor, measured the same way: a page with four WebGL canvases where the
 * workstation has its views, whose pointer and wheel handlers only upload a 512×512 16-bit slice
 * to the "axial" canvas and draw it, with none of the workstation's code. It draws on the events
 * a brush must draw on: each move with a button down, and the press (a brush paints its first dab
 * where it is pressed), so the stroke's first moves wait behind the press's frame on both pages.
 */
export const FLOOR_PAGE = (boxes: readonly Box[]): string => `<!doctype html>
<html><body style="margin:0;background:#000">
${boxes.map((b, i) => `<canvas id="c${i}" width="${Math.round(b.width)}" height="${Math.round(b.height)}" style="position:absolute;left:${b.x}px;top:${b.y}px;width:${b.width}px;height:${b.height}px"></canvas>`).join('')}
<script>
  const gls = [...document.querySelectorAll('canvas')].map((c) => c.getContext('webgl2'));
  for (const g of gls) { g.clearColor(0.1, 0.1, 0.1, 1); g.clear(g.COLOR_BUFFER_BIT); }
  const gl = gls[0];
  const vs = gl.createShader(gl.VERTEX_SHADER);
  gl.shaderSource(vs, '#version 300 es\\nin vec2 p; out vec2 uv; void main() { uv = p * 0.5 + 0.5; gl_Position = vec4(p, 0, 1); }');
  gl.compileShader(vs);
  const fs = gl.createShader(gl.FRAGMENT_SHADER);
  gl.shaderSource(fs, '#version 300 es\\nprecision highp float; precision highp isampler2D; uniform isampler2D t; in vec2 uv; out vec4 o; void main() { float v = float(texture(t, uv).r); o = vec4(vec3(clamp((v + 160.0) / 400.0, 0.0, 1.0)), 1); }');
  gl.compileShader(fs);
  const prog = gl.createProgram();
  gl.attachShader(prog, vs); gl.attachShader(prog, fs); gl.linkProgram(prog); gl.useProgram(prog);
  gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
  gl.enableVertexAttribArray(0); gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
  gl.bindTexture(gl.TEXTURE_2D, gl.createTexture());
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
  const slice = new Int16Array(512 * 512);
  let n = 0;
  const draw = () => {
    n++;
    for (let i = 0; i < slice.length; i++) slice[i] = ((i * 7 + n * 13) % 400) - 160;
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.R16I, 512, 512, 0, gl.RED_INTEGER, gl.SHORT, slice);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    performance.mark('hsam:frame:axial');
  };
  addEventListener('pointerdown', draw);
  addEventListener('pointermove', (e) => { if (e.buttons) draw(); });
  addEventListener('wheel', draw);
  draw();
</script></body></html>`;

export async function installProbe(page: Page): Promise<void> {
  await page.evaluate(PROBE);
}

export interface Latencies {
  /** Input event → the first frame after the axial view rendered it. */
  readonly frame: number[];
  /** Its first part: input event → the axial view's render call (the page's own work and queueing). */
  readonly ours: number[];
  /** Events that changed nothing on screen (see PROBE). */
  drewNothing: number;
}

/** Latencies since the last call. */
export async function takeLatencies(page: Page): Promise<Latencies> {
  return page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    // An event still waiting drew nothing before this call (the callers wait past every frame).
    const out = { frame: w.__lat, ours: w.__ours, drewNothing: w.__drewNothing + w.__pending.length };
    w.__lat = [];
    w.__ours = [];
    w.__pending = [];
    w.__drewNothing = 0;
    return out;
  });
}

export type Box = { x: number; y: number; width: number; height: number };
export type At = (fx: number, fy: number) => [number, number];
export const within = (b: Box): At => (fx, fy) => [b.x + b.width * fx, b.y + b.height * fy];

/** Wheel notches over the view's centre, one frame apart (ten down, ten up, …), then time for the last frame. */
async function scrollNotches(page: Page, at: At, notches: number): Promise<void> {
  await page.mouse.move(...at(0.5, 0.5));
  for (let n = 0; n < notches; n++) {
    await page.mouse.wheel(0, n % 20 < 10 ? 100 : -100);
    await page.waitForTimeout(20);
  }
  await page.waitForTimeout(300);
}

/**
 * Stroke `s` of a run: 10 segments rightwards, each stroke in its own row, 20 rows to a column,
 * columns side by side (not overlapping: a dab over voxels a stroke already painted draws nothing).
 */
export async function strokeAt(page: Page, at: At, s: number): Promise<void> {
  // The image fills the middle of the (wide) axial view: five columns of 0.1 fit in it.
  const x = 0.22 + 0.12 * Math.floor(s / 20);
  const y = 0.3 + 0.4 * ((s % 20) / 20);
  await page.mouse.move(...at(x, y));
  await page.mouse.down();
  for (let m = 1; m <= 10; m++) {
    await page.mouse.move(...at(x + 0.01 * m, y));
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
}

/**
 * A page's first scrolling and strokes, before the timed blocks: 20 wheel notches (their
 * latencies returned: the cold row) and two strokes. Both pages get the same, so neither side's
 * timed blocks include first-use costs the other's do not (JIT, first uploads, SwiftShader's first
 * draws of a kind).
 */
async function warmUp(page: Page, at: At, strokes: readonly number[]): Promise<number[]> {
  await scrollNotches(page, at, 20);
  const { frame } = await takeLatencies(page);
  for (const s of strokes) await strokeAt(page, at, s);
  await page.waitForTimeout(300);
  await takeLatencies(page);
  return frame;
}

/**
 * The browser-only floor page, open beside the workstation's for the whole run. Its blocks of
 * scrolling and strokes take turns with the workstation's, so a slow spell of this shared machine
 * lands on both sides, not on one (measured once before the workstation's, the ratio moved by
 * ±0.1 between runs of the same code).
 */
async function openFloor(browser: Browser, boxes: readonly Box[]) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setContent(FLOOR_PAGE(boxes));
  await installProbe(page);
  const at = within(boxes[0]!);
  // Warmed up as the workstation is (warmUp): the first notches of a page ran ~3× slower. Its
  // first notches are kept, for the cold row.
  const cold = await warmUp(page, at, [0, 1]);
  const stroke: number[] = [];
  const scroll: number[] = [];
  /** Each block's latencies, in order, for the notes. */
  const blocks: { kind: 'scroll' | 'stroke'; frame: number[] }[] = [];
  return {
    cold,
    stroke,
    scroll,
    blocks,
    async scrollBlock(notches: number): Promise<void> {
      await scrollNotches(page, at, notches);
      const { frame } = await takeLatencies(page);
      scroll.push(...frame);
      blocks.push({ kind: 'scroll', frame });
    },
    /** The workstation's first `n` strokes' moves (the floor draws on every move, wherever it is). */
    async strokeBlock(n: number): Promise<void> {
      for (let s = 0; s < n; s++) await strokeAt(page, at, s);
      await page.waitForTimeout(300);
      const { frame } = await takeLatencies(page);
      stroke.push(...frame);
      blocks.push({ kind: 'stroke', frame });
    },
    async close(): Promise<void> {
      await page.close();
      if (errors.length > 0 || stroke.length === 0 || scroll.length === 0) throw new Error(`the floor page measured nothing: ${errors.join('; ')}`);
    },
  };
}

/** 3D view frames since the last call. */
export async function take3dFrames(page: Page): Promise<number> {
  return page.evaluate(() => {
    const w = globalThis as unknown as PageGlobals;
    const n = w.__frames3d;
    w.__frames3d = 0;
    return n;
  });
}

/** Main's undo history for the study open in the page, and the label volume's size (main's side, not the contract's). */
async function history(host: TestHost, page: Page): Promise<{ bytes: number; volume: number }> {
  const id = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelector('[data-volume-id]')?.getAttribute('data-volume-id') ?? '');
  const { session } = await host.workstation.studies.get(id);
  return { bytes: session.historyBytes, volume: session.labels.length };
}

/** The workstation on the big volume with its model loaded, and where its four views are. */
export async function openWorkstation(browser: Browser, host: TestHost): Promise<{ page: Page; boxes: Box[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(host.url);
  await page.getByTestId('dims').filter({ hasText: `512 × 512 × ${DEPTH} voxels` }).waitFor({ timeout: 120_000 });
  await page.getByTestId('model-status').waitFor({ timeout: 60_000 });
  const boxes: Box[] = await Promise.all(
    ['view-axial', 'view-coronal', 'view-sagittal', 'view-3d'].map(async (id) => {
      const b = await page.getByTestId(id).boundingBox();
      if (!b) throw new Error(`no ${id}`);
      return b;
    }),
  );
  return { page, boxes };
}

export async function run(): Promise<BenchTable> {
  const path = await bigVolume();
  const host = await startTestHost({ initialPath: path });
  const browser = await launchChromium();
  try {
    const { page, boxes } = await openWorkstation(browser, host);
    await page.getByTestId('auto-segment').click();
    await page.getByTestId('last-run').waitFor({ timeout: 600_000 });
    // The model run's surfaces (every class, the whole volume) are built once; editing is timed after.
    const surfacesIdle = async (): Promise<void> => {
      await page.waitForFunction(
        () => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="view-3d"]')?.getAttribute('data-surface-busy') === 'false',
        undefined,
        { timeout: 600_000, polling: 100 },
      );
      // And until that frame is on screen: the page gets its next frames only once the GPU
      // process (SwiftShader here) has drawn it.
      await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())))');
    };
    await page.waitForFunction(
      () => Number((globalThis as unknown as PageGlobals).document.querySelector('[data-testid="view-3d"]')?.getAttribute('data-surface-updates') ?? 0) > 0,
      undefined,
      { timeout: 600_000, polling: 100 },
    );
    await surfacesIdle();
    const fullBuild = Number(await page.getByTestId('view-3d').getAttribute('data-surface-ms'));
    const cellStep = (await page.getByTestId('view-3d').getAttribute('data-surface-step')) ?? '?';
    const settleMs = Number(await page.getByTestId('view-3d').getAttribute('data-surface-settle-ms'));
    const afterModel = await history(host, page);
    await installProbe(page);
    const view = page.getByTestId('view-axial');
    const box = await view.boundingBox();
    if (!box) throw new Error('no axial view');
    const at = within(box);

    // The brush first (liver, 5 mm radius), so that both warm-ups end with two strokes.
    await page.keyboard.press('b');
    await page.getByTestId('segment-liver').getByTestId('segment-select').click();
    // Paint over every label, as before the paint-over rule (issue 17): with the default rule a
    // liver stroke over the model's other organs would change nothing, and draw nothing to time.
    await page.getByTestId('paint-over').selectOption('all');
    // Rows of column 5 that no timed stroke uses (those use 0-99, then 100-111).
    const warmStrokes = [112, 113];
    const cold = await warmUp(page, at, warmStrokes);
    /** Strokes drawn on the workstation since the model run (the undo history's rows). */
    let strokesDrawn = warmStrokes.length;
    await surfacesIdle();

    // SCROLL_BLOCKS blocks of 20 notches on each page, taking turns (floor first, then ours
    // first, …, so neither side always follows the other).
    const bare = await openFloor(browser, boxes);
    const scroll: Latencies = { frame: [], ours: [], drewNothing: 0 };
    /** The workstation's blocks' latencies, in order, for the notes (the floor keeps its own). */
    const ourBlocks: number[][] = [];
    for (let b = 0; b < SCROLL_BLOCKS; b++) {
      if (b % 2 === 0) await bare.scrollBlock(20);
      await scrollNotches(page, at, 20);
      const lat = await takeLatencies(page);
      if (b % 2 === 1) await bare.scrollBlock(20);
      ourBlocks.push(lat.frame);
      scroll.frame.push(...lat.frame);
      scroll.ours.push(...lat.ours);
      scroll.drewNothing += lat.drewNothing;
    }

    const scroll3d = await take3dFrames(page);

    // Brush: strokes of 10 segments each; every stroke on voxels not painted yet (a stroke that
    // changes nothing draws nothing to time).
    const surface: number[] = [];
    /** The parts of each surface update: marching cubes in the worker, and upload + render. */
    const surfaceExtract: number[] = [];
    const surfaceRender: number[] = [];
    const perStroke: number[] = [];
    /** CPU time of main's services per stroke: the test host runs in this process. */
    const mainCpu: number[] = [];
    /** Stroke `s`, its latencies added to `into`. */
    const paint = async (s: number, into: Latencies): Promise<void> => {
      const cpu = process.cpuUsage();
      strokesDrawn++;
      await strokeAt(page, at, s);
      const lat = await takeLatencies(page);
      const used = process.cpuUsage(cpu);
      mainCpu.push((used.user + used.system) / 1000);
      perStroke.push(lat.frame.length > 0 ? Math.max(...lat.frame) : NaN);
      into.frame.push(...lat.frame);
      into.ours.push(...lat.ours);
      into.drewNothing += lat.drewNothing;
    };
    const stroke: Latencies = { frame: [], ours: [], drewNothing: 0 };
    for (let s = 0; s < 100; s++) {
      // Blocks of 20 taking turns with 20 of the floor's, as the scrolling; the 3D view idle before each.
      const floorFirst = Math.floor(s / 20) % 2 === 0;
      if (s % 20 === 0 && floorFirst) await bare.strokeBlock(20);
      await paint(s, stroke);
      if (s % 20 === 19) {
        ourBlocks.push(stroke.frame.slice(ourBlocks.slice(SCROLL_BLOCKS).reduce((n, b) => n + b.length, 0)));
        // Let the 3D view catch up, then read its last surface update.
        await surfacesIdle();
        const view3d = page.getByTestId('view-3d');
        const ms = Number(await view3d.getAttribute('data-surface-ms'));
        if (Number.isFinite(ms) && ms > 0) {
          surface.push(ms);
          surfaceExtract.push(Number(await view3d.getAttribute('data-surface-extract-ms')));
          surfaceRender.push(Number(await view3d.getAttribute('data-surface-render-ms')));
        }
        if (!floorFirst) await bare.strokeBlock(20);
      }
    }
    const strokes3d = await take3dFrames(page);
    // The first stroke after a 3D surface update: begun as soon as the update's frame is drawn
    // (its GPU work may still be under way: with software GL it used to hold the stroke ~1-2 s).
    const afterSurface: number[] = [];
    for (let t = 0; t < 6; t++) {
      const count = Number(await page.getByTestId('view-3d').getAttribute('data-surface-updates'));
      await strokeAt(page, at, 100 + 2 * t);
      strokesDrawn += 2;
      await takeLatencies(page);
      await page.waitForFunction(
        (n) => Number((globalThis as unknown as PageGlobals).document.querySelector('[data-testid="view-3d"]')?.getAttribute('data-surface-updates') ?? 0) > n,
        count,
        { timeout: 60_000, polling: 'raf' },
      );
      await strokeAt(page, at, 101 + 2 * t);
      const first = (await takeLatencies(page)).frame[0];
      if (first !== undefined) afterSurface.push(first);
    }
    await surfacesIdle();
    // The same with the 3D view's surfaces hidden: what drawing them costs the slice views.
    await page.getByTestId('surfaces-toggle').uncheck();
    await surfacesIdle();
    await take3dFrames(page);
    // Erasing along the second block's strokes: voxels that change, so frames to time.
    await page.keyboard.press('e');
    const hidden: Latencies = { frame: [], ours: [], drewNothing: 0 };
    for (let s = 20; s < 40; s++) await paint(s, hidden);
    const after = await history(host, page);
    await bare.close();
    const strokesBytes = after.bytes - afterModel.bytes;
    const row = (name: string, xs: readonly number[], target: number): (string | number)[] => [
      name,
      xs.length,
      pct(xs, 50).toFixed(1),
      pct(xs, 95).toFixed(1),
      `≤ ${target}`,
      (pct(xs, 95) / target).toFixed(2),
    ];
    /** The issue-17 target: within 1.2× the floor page measured in the same run. */
    const ratio = (name: string, xs: readonly number[], floorXs: readonly number[]): (string | number)[] => {
      const r = pct(xs, 95) / pct(floorXs, 95);
      return [name, xs.length, '', r.toFixed(2), '≤ 1.2 × floor', (r / 1.2).toFixed(2)];
    };
    return {
      title: `Editing in Chromium (SwiftShader, no GPU) on a 512×512×${DEPTH} CT with the demo model's labels`,
      columns: ['figure', 'n', 'p50 ms', 'p95 ms', 'target ms (p95)', 'p95 / target'],
      rows: [
        row('brush stroke → painted pixels', stroke.frame, 16),
        row('  of which input → axial render call', stroke.ours, 16),
        row('  browser floor: one canvas redrawn', bare.stroke, 16),
        row('eraser stroke, 3D surfaces hidden', hidden.frame, 16),
        row('  of which input → axial render call', hidden.ours, 16),
        row('slice scroll → new slice drawn', scroll.frame, 16),
        row('  of which input → axial render call', scroll.ours, 16),
        row('  browser floor: one canvas redrawn', bare.scroll, 16),
        ratio('brush stroke p95 / browser floor p95', stroke.frame, bare.stroke),
        ratio('slice scroll p95 / browser floor p95', scroll.frame, bare.scroll),
        row('first scroll after the model run: its 20 notches (cold)', cold, 16),
        row('  browser floor: its page’s first 20 notches (cold)', bare.cold, 16),
        ratio('  cold p95 / browser floor cold p95', cold, bare.cold),
        row('first stroke after a 3D surface update: its first frame', afterSurface, 16),
        ratio('  its p95 / browser floor p95', afterSurface, bare.stroke),
        row('3D surface update, one class', surface, 300),
        row('  of which smoothing + marching cubes (worker)', surfaceExtract, 300),
        row('  of which upload + 3D render (SwiftShader)', surfaceRender, 300),
        ['3D surfaces of every class after the model run', 1, fullBuild.toFixed(0), fullBuild.toFixed(0), '', ''],
        [
          `undo history: the run's ${strokesDrawn} strokes`,
          strokesDrawn,
          `${(strokesBytes / 1024).toFixed(0)} KiB`,
          '',
          `≤ 10 % of ${(after.volume / 2 ** 20).toFixed(0)} MiB`,
          (strokesBytes / (0.1 * after.volume)).toFixed(3),
        ],
        [
          `undo history: model run + ${strokesDrawn} strokes`,
          strokesDrawn + 1,
          `${(after.bytes / 1024).toFixed(0)} KiB`,
          '',
          `≤ 10 % of ${(after.volume / 2 ** 20).toFixed(0)} MiB`,
          (after.bytes / (0.1 * after.volume)).toFixed(3),
        ],
      ],
      notes: [
        'Latencies run from the input event’s timestamp to the first animation frame after the axial view rendered it (User Timing mark hsam:frame:axial); "of which" is the part up to that mark (the page’s own work and queueing), the rest is the browser drawing and compositing the frame.',
        `Browser floor: the same Chromium and window, a page with four WebGL canvases where the views are, that on each event (a press, a move with a button down, a wheel notch) only uploads a 512×512 16-bit slice to one canvas and draws it; the same strokes and wheel notches, timed the same way, in blocks that take turns with the workstation’s (${SCROLL_BLOCKS} × 20 notches, 5 × 20 strokes; floor first, then workstation first, and so on), after the same warm-up on each page (20 notches, timed as the cold rows, and two strokes).`,
        `Surface update: the 3D view’s data-surface-ms after every 20th stroke (diff, marching cubes in its worker, upload, render), counted from when the surfaces may follow: ${settleMs} ms after the last stroke ended.`,
        `3D frames drawn: ${scroll3d} while scrolling, ${strokes3d} during the 100 strokes. The surfaces' marching-cubes cells: ${cellStep.replaceAll(',', ' × ')} voxels (coarser than 1 × 1 × 1 only with software graphics on a large volume: surfaceStep in renderer/src/views/surfaces.ts).`,
        `Input events that drew nothing, so are not timed (a dab over voxels already of its class): brush ${stroke.drewNothing}, eraser ${hidden.drewNothing}, scroll ${scroll.drewNothing}.`,
        `p50 / p95 of each pair of blocks, floor | workstation: ${bare.blocks
          .map((b, i) => {
            const ours = ourBlocks[i] ?? [];
            return `${b.kind} ${pct(b.frame, 50).toFixed(0)}/${pct(b.frame, 95).toFixed(0)} | ${pct(ours, 50).toFixed(0)}/${pct(ours, 95).toFixed(0)}`;
          })
          .join(', ')}`,
        `Scroll latencies, in order: ${scroll.frame.map((x) => x.toFixed(0)).join(' ')}`,
        `Cold notches, in order, workstation | floor: ${cold.map((x) => x.toFixed(0)).join(' ')} | ${bare.cold.map((x) => x.toFixed(0)).join(' ')}`,
        `Worst latency of each stroke, in order: ${perStroke.map((x) => x.toFixed(0)).join(' ')}`,
        `Main's CPU per stroke (ms; the test host serves the API from the benchmark's process), in order: ${mainCpu.map((x) => x.toFixed(0)).join(' ')}`,
      ],
    };
  } finally {
    await browser.close();
    await host.close();
  }
}
