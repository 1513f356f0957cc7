/**
 * Where a brush stroke's time goes, for `npm run bench -- editing` work (not a bench itself):
 * the same study and strokes as bench/editing.bench.ts, with Chromium's own tools through
 * playwright-core:
 *
 * - a trace (devtools timeline, V8, GPU categories) of 20 strokes on each page: latency by the
 *   event's place in its stroke, the GPU process's frames and quads, time per thread (the page's
 *   main thread, the GPU process, the compositor) by top-level task, and GC;
 * - a V8 CPU profile of the same strokes: self time per function in the page;
 * - the first-stroke-after-a-surface-update stall: a stroke, a pause of each length, another
 *   stroke; the second stroke's first painted frame, timed like the bench's.
 *
 * Run: HSAM_BENCH_DEPTH=40 node --import tsx bench/editing-profile.ts [out-dir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../e2e/browser.js';
import { startTestHost } from '../e2e/host/test-host.js';
import { bigVolume, FLOOR_PAGE, openWorkstation, installProbe, pct, strokeAt, take3dFrames, takeLatencies, within, type At } from './editing.bench.js';

const out = process.argv[2] ?? '/tmp/hsam-editing-profile';

interface TraceEvent {
  ph: string;
  name: string;
  cat: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}

/**
 * The GPU process's frames (display compositor swaps), their mean cost, and the quads drawn per
 * frame (tiles are the page's own layers; headless Chromium redraws every quad every frame).
 */
function gpuFrames(events: readonly TraceEvent[]): string {
  const swaps = events.filter((e) => e.ph === 'X' && e.name === 'SkiaOutputSurfaceImplOnGpu::SwapBuffers');
  const ms = swaps.reduce((t, e) => t + (e.dur ?? 0) / 1000, 0);
  const webgl = events.filter((e) => e.ph === 'X' && e.name === 'WebGL').reduce((t, e) => t + (e.dur ?? 0) / 1000, 0);
  const frames = Math.max(1, events.filter((e) => e.ph === 'X' && e.name === 'DirectRenderer::DrawFrame').length);
  const quads = events.filter((e) => e.ph === 'X' && e.name === 'SkiaRenderer::DoDrawQuad').length;
  const tiles = events.filter((e) => e.ph === 'X' && e.name === 'SkiaRenderer::DrawTileDrawQuad').length;
  return `GPU process: ${swaps.length} frames swapped, ${ms.toFixed(0)} ms in SwapBuffers (${(ms / Math.max(1, swaps.length)).toFixed(1)} ms a frame); ${(quads / frames).toFixed(0)} quads a frame, ${(tiles / frames).toFixed(0)} of them tiles; WebGL commands ${webgl.toFixed(0)} ms`;
}

/** Tasks over `minMs` on the page's main thread and the GPU process's, with their longest parts. */
function longTasks(events: readonly TraceEvent[], minMs: number): string[] {
  const threadName = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadName.set(`${e.pid}:${e.tid}`, e.args?.name ?? '?');
  const t0 = Math.min(...events.filter((e) => e.ph === 'X').map((e) => e.ts));
  const lines: string[] = [];
  for (const thread of ['CrRendererMain', 'CrGpuMain']) {
    const xs = events
      .filter((e) => e.ph === 'X' && e.dur !== undefined && threadName.get(`${e.pid}:${e.tid}`) === thread)
      .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    for (const task of xs) {
      // The task itself: RunTask, or ThreadControllerImpl::RunTask when only 'toplevel' is traced.
      if (task.dur! < minMs * 1000 || !/^(ThreadControllerImpl::)?RunTask$/.test(task.name)) continue;
      const inside = xs.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur! && e.dur! > task.dur! * 0.2 && !/RunTask/.test(e.name));
      const parts = [...new Set(inside.map((e) => `${e.name} ${(e.dur! / 1000).toFixed(0)}`))].slice(0, 6).join(', ');
      lines.push(`  ${thread} at ${((task.ts - t0) / 1000).toFixed(0)} ms: ${(task.dur! / 1000).toFixed(0)} ms — ${parts}`);
    }
  }
  return lines;
}

/** Per thread: milliseconds of top-level tasks by name, and of GC events at any depth. */
function summariseTrace(events: readonly TraceEvent[]): string[] {
  const threadName = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadName.set(`${e.pid}:${e.tid}`, e.args?.name ?? '?');
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined) continue;
    const key = `${e.pid}:${e.tid}`;
    (byThread.get(key) ?? byThread.set(key, []).get(key)!).push(e);
  }
  const lines: string[] = [];
  for (const [key, xs] of byThread) {
    xs.sort((a, b) => a.ts - b.ts);
    const top = new Map<string, number>();
    const gc = new Map<string, number>();
    let end = -Infinity;
    let total = 0;
    for (const e of xs) {
      if (/GC|Scavenge|MarkCompact/i.test(e.name)) gc.set(e.name, (gc.get(e.name) ?? 0) + e.dur! / 1000);
      if (e.ts < end) continue;
      end = e.ts + e.dur!;
      total += e.dur! / 1000;
      top.set(e.name, (top.get(e.name) ?? 0) + e.dur! / 1000);
    }
    if (total < 20) continue;
    const list = (m: Map<string, number>): string =>
      [...m].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(', ');
    lines.push(`${threadName.get(key) ?? key}: ${total.toFixed(0)} ms busy — ${list(top)}${gc.size ? ` | GC: ${list(gc)}` : ''}`);
  }
  return lines;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time per function of a V8 CPU profile, the top `n`. */
function summariseProfile(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, n: number): string[] {
  const node = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = node.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${k}`);
}

/**
 * `n` strokes from stroke `first`, their latencies read after each (on both pages alike), kept by
 * the event's place in its stroke: 0 is the move to the stroke's start, whose frame shows the
 * press's dab, 1 the first drag move, and so on. Where in a stroke the slow frames fall.
 */
async function strokesByPosition(page: Page, at: At, first: number, n: number): Promise<{ frame: number[]; ours: number[]; byPosition: number[][] }> {
  const out = { frame: [] as number[], ours: [] as number[], byPosition: [] as number[][] };
  for (let s = first; s < first + n; s++) {
    // Read at once, as the bench reads its strokes: the next stroke follows as closely.
    await strokeAt(page, at, s);
    const lat = await takeLatencies(page);
    out.frame.push(...lat.frame);
    out.ours.push(...lat.ours);
    lat.frame.forEach((ms, i) => (out.byPosition[i] ??= []).push(ms));
  }
  return out;
}

const byPositionLine = (byPosition: readonly number[][]): string =>
  `  p50/p95 by place in the stroke (0: the press's frame, 1: the first move, …): ${byPosition.map((xs, i) => `${i}: ${pct(xs, 50).toFixed(0)}/${pct(xs, 95).toFixed(0)}`).join(', ')}`;

async function stallProbe(page: Page, at: At, first: number): Promise<string[]> {
  const lines: string[] = [];
  let s = first;
  for (const pause of [0, 200, 400, 500, 600, 700, 800, 1000, 1500, 2500]) {
    await strokeAt(page, at, s++);
    await takeLatencies(page);
    await page.waitForTimeout(pause);
    await take3dFrames(page);
    await strokeAt(page, at, s++);
    const frames3d = await take3dFrames(page);
    const lat = await takeLatencies(page);
    lines.push(
      `pause ${pause} ms: next stroke's first frame ${lat.frame[0]?.toFixed(0) ?? '-'} ms, its worst ${Math.max(...lat.frame).toFixed(0)} ms, p50 ${pct(lat.frame, 50).toFixed(0)} ms; 3D frames during it ${frames3d}`,
    );
  }
  return lines;
}

/** What the page functions below use of the browser (this file has no DOM types). */
interface PageGlobals {
  document: { querySelector(s: string): { getAttribute(a: string): string | null } | null };
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const path = await bigVolume();
  const host = await startTestHost({ initialPath: path });
  const browser = await launchChromium();
  try {
    const { page, boxes } = await openWorkstation(browser, host);
    const report: string[] = [];
    // The browser floor page, traced the same way.
    const floorPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await floorPage.setContent(FLOOR_PAGE(boxes));
    await installProbe(floorPage);
    await browser.startTracing(floorPage, { categories: ['devtools.timeline', 'gpu', 'viz', 'toplevel', 'disabled-by-default-viz.quads'] });
    const floorLat = await strokesByPosition(floorPage, within(boxes[0]!), 0, 20);
    const floorTrace = (JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] }).traceEvents;
    report.push(`Floor page, 20 strokes: p50 ${pct(floorLat.frame, 50).toFixed(1)} ms, p95 ${pct(floorLat.frame, 95).toFixed(1)} ms`, byPositionLine(floorLat.byPosition), gpuFrames(floorTrace));
    await floorPage.close();
    await page.getByTestId('auto-segment').click();
    await page.getByTestId('last-run').waitFor({ timeout: 600_000 });
    const idle = async (): Promise<void> => {
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="view-3d"]')?.getAttribute('data-surface-busy') === 'false', undefined, {
        timeout: 600_000,
        polling: 100,
      });
      await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())))');
    };
    await page.waitForFunction(() => Number((globalThis as unknown as PageGlobals).document.querySelector('[data-testid="view-3d"]')?.getAttribute('data-surface-updates') ?? 0) > 0, undefined, {
      timeout: 600_000,
      polling: 100,
    });
    await idle();
    await installProbe(page);
    const box = await page.getByTestId('view-axial').boundingBox();
    if (!box) throw new Error('no axial view');
    const at = within(box);
    await page.keyboard.press('b');
    await page.getByTestId('segment-liver').getByTestId('segment-select').click();
    await page.getByTestId('paint-over').selectOption('all');

    await browser.startTracing(page, {
      categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink.user_timing', 'gpu', 'viz', 'cc', 'toplevel', 'disabled-by-default-viz.quads'],
    });
    const lat = await strokesByPosition(page, at, 0, 20);
    const trace = await browser.stopTracing();
    writeFileSync(join(out, 'strokes.trace.json'), trace);
    report.push(
      `20 strokes (traced): p50 ${pct(lat.frame, 50).toFixed(1)} ms, p95 ${pct(lat.frame, 95).toFixed(1)} ms, to the render call p50 ${pct(lat.ours, 50).toFixed(1)} p95 ${pct(lat.ours, 95).toFixed(1)}`,
      byPositionLine(lat.byPosition),
    );
    const events = (JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] }).traceEvents;
    report.push(gpuFrames(events), ...summariseTrace(events));
    await idle();

    // What the rest of the page costs each frame: the same strokes with the given parts hidden
    // (HSAM_PROFILE_HIDE, a CSS selector list, e.g. ".side-panel, .statusbar").
    const hide = process.env['HSAM_PROFILE_HIDE'];
    let next = 20;
    if (hide) {
      // Through the CSSOM: the page's CSP refuses inline style sheets.
      const setHidden = (on: boolean): Promise<void> =>
        page.evaluate(
          ([sel, v]) => {
            const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ style: { visibility: string } }> } }).document;
            for (const e of doc.querySelectorAll(sel)) e.style.visibility = v;
          },
          [hide, on ? 'hidden' : ''] as const,
        );
      await setHidden(true);
      await idle();
      await browser.startTracing(page, { categories: ['devtools.timeline', 'gpu', 'viz', 'toplevel'] });
      for (; next < 40; next++) await strokeAt(page, at, next);
      const hidden = (JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] }).traceEvents;
      const l = await takeLatencies(page);
      report.push(`With ${hide} hidden, 20 strokes: p50 ${pct(l.frame, 50).toFixed(1)} ms, p95 ${pct(l.frame, 95).toFixed(1)} ms`, gpuFrames(hidden));
      await setHidden(false);
      await idle();
    }

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    for (const end = next + 20; next < end; next++) await strokeAt(page, at, next);
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(join(out, 'strokes.cpuprofile'), JSON.stringify(profile));
    const lat2 = await takeLatencies(page);
    report.push(`20 strokes (profiled): p50 ${pct(lat2.frame, 50).toFixed(1)} ms, p95 ${pct(lat2.frame, 95).toFixed(1)} ms`);
    report.push('Self time per function in the page:', ...summariseProfile(profile as never, 25));
    await idle();

    await browser.startTracing(page, { categories: ['devtools.timeline', 'blink.user_timing', 'gpu', 'viz', 'toplevel', 'v8.execute'] });
    const stalls = await stallProbe(page, at, next);
    const stallTrace = await browser.stopTracing();
    writeFileSync(join(out, 'stall.trace.json'), stallTrace);
    report.push('First stroke after a pause (the surfaces update 300 ms after a stroke ends):', ...stalls);
    report.push('Tasks over 150 ms meanwhile:', ...longTasks((JSON.parse(stallTrace.toString()) as { traceEvents: TraceEvent[] }).traceEvents, 150));
    console.log(report.join('\n'));
    writeFileSync(join(out, 'report.txt'), report.join('\n'));
  } finally {
    await browser.close();
    await host.close();
  }
}

await main();
