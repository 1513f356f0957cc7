/** Page object of the workstation window: what a user sees and does, in test vocabulary. */
import type { Locator, Page } from 'playwright-core';
import { PNG } from 'pngjs';

export interface PixelStats {
  readonly mean: number;
  readonly std: number;
  /** Distinct grey levels (of 256) in the region; an empty canvas has one. */
  readonly levels: number;
}

export type Plane = 'axial' | 'coronal' | 'sagittal';

/** The status bar's cursor readout, parsed. */
export interface Readout {
  readonly ijk: [number, number, number];
  readonly world: [number, number, number];
  readonly value: number;
  readonly unit: string;
}

export class WorkstationPage {
  readonly axialView: Locator;
  readonly sliceIndicator: Locator;
  readonly studyName: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.axialView = this.view('axial');
    this.sliceIndicator = this.axialView.getByTestId('slice-indicator');
    this.studyName = page.getByTestId('study-name');
    this.error = page.getByTestId('error');
  }

  view(plane: Plane): Locator {
    return this.page.getByTestId(`view-${plane}`);
  }

  /** The patient letters at the left, right, top and bottom edges of a view. */
  async letters(plane: Plane): Promise<string> {
    const v = this.view(plane);
    const edge = (e: string): Promise<string | null> => v.getByTestId(`letter-${e}`).textContent();
    return (await Promise.all(['left', 'right', 'top', 'bottom'].map(edge))).join(' ');
  }

  async readout(): Promise<Readout> {
    const text = (await this.page.getByTestId('readout').textContent()) ?? '';
    const m = /^\[(-?\d+), (-?\d+), (-?\d+)\]\s+\((\S+), (\S+), (\S+)\) mm\s+(\S+)\s*(\S*)$/.exec(text.trim());
    if (!m) throw new Error(`unexpected readout "${text}"`);
    const n = m.slice(1, 8).map(Number);
    return {
      ijk: [n[0], n[1], n[2]] as [number, number, number],
      world: [n[3], n[4], n[5]] as [number, number, number],
      value: n[6] as number,
      unit: m[8] ?? '',
    };
  }

  async currentSlice(plane: Plane = 'axial'): Promise<number> {
    return Number(await this.view(plane).getAttribute('data-slice'));
  }

  /** Scroll the wheel over a view; positive `notches` scroll down. */
  async scroll(notches: number, plane: Plane = 'axial'): Promise<void> {
    const box = await this.view(plane).boundingBox();
    if (!box) throw new Error(`${plane} view is not visible`);
    await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < Math.abs(notches); i++) await this.page.mouse.wheel(0, Math.sign(notches) * 100);
  }

  /** Grey-level statistics of the central part of a view, from a real screenshot. */
  async axialPixels(): Promise<PixelStats> {
    return this.pixels('axial');
  }

  /** Share of the view's pixels that are coloured (label overlay), not grey. */
  async colouredFraction(plane: Plane): Promise<number> {
    const box = await this.view(plane).boundingBox();
    if (!box) throw new Error(`${plane} view is not visible`);
    const png = PNG.sync.read(await this.page.screenshot({ clip: box }));
    let coloured = 0;
    const n = png.width * png.height;
    for (let i = 0; i < n; i++) {
      const [r, g, b] = [png.data[i * 4] as number, png.data[i * 4 + 1] as number, png.data[i * 4 + 2] as number];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 24) coloured++;
    }
    return coloured / n;
  }

  /**
   * Main's label volume of the open study, read through the app's own API in the page (what the
   * data says, not what the screen shows), with the voxels per k-slice.
   */
  async labels(): Promise<{ labels: Uint8Array; sliceSize: number }> {
    const { bytes, sliceSize } = await this.page.evaluate(async () => {
      type R<T> = { ok: true; value: T } | { ok: false; error: { message: string } };
      const api = (window as unknown as { hsam: { labels: { get: (a: { volumeId: string }) => Promise<R<{ labels: Uint8Array }>> } } })
        .hsam;
      const grid = document.querySelector('[data-volume-id]');
      const r = await api.labels.get({ volumeId: grid?.getAttribute('data-volume-id') ?? '' });
      if (!r.ok) throw new Error(r.error.message);
      // Base64 keeps the transfer out of Playwright's per-element JSON.
      let text = '';
      for (let i = 0; i < r.value.labels.length; i += 0x8000) text += String.fromCharCode(...r.value.labels.subarray(i, i + 0x8000));
      return { bytes: btoa(text), sliceSize: Number(grid?.getAttribute('data-slice-size')) };
    });
    return { labels: new Uint8Array(Buffer.from(bytes, 'base64')), sliceSize };
  }

  /** Voxels per class in main's label volume. */
  async labelCounts(): Promise<number[]> {
    const counts = new Array<number>(256).fill(0);
    for (const v of (await this.labels()).labels) counts[v]!++;
    return counts;
  }

  /**
   * Voxels per class once a stroke's dabs have all reached main: the renderer sends them one at a
   * time, so the first answer can come back while the last ones are still on their way (on a busy
   * machine, hundreds of milliseconds). Two reads 300 ms apart that agree.
   */
  async settledLabelCounts(): Promise<number[]> {
    let last = await this.labelCounts();
    for (let n = 0; n < 50; n++) {
      await this.page.waitForTimeout(300);
      const next = await this.labelCounts();
      if (next.every((c, i) => c === last[i])) return next;
      last = next;
    }
    throw new Error('the label counts kept changing for 15 s');
  }

  /** Voxels of one class in one k-slice of main's label volume. */
  async labelCountsInSlice(k: number, cls: number): Promise<number> {
    const { labels, sliceSize } = await this.labels();
    return labels.subarray(k * sliceSize, (k + 1) * sliceSize).reduce((n, v) => n + (v === cls ? 1 : 0), 0);
  }

  /** The window/level readout of a view ("W 400 L 40"). */
  async windowLevel(plane: Plane): Promise<{ width: number; level: number }> {
    const text = (await this.view(plane).getByTestId('wl-readout').textContent()) ?? '';
    const m = /^W (\S+) L (\S+)$/.exec(text.trim());
    if (!m) throw new Error(`unexpected W/L readout "${text}"`);
    return { width: Number(m[1]), level: Number(m[2]) };
  }

  /** The scale bar's length text ("5 cm") and its length in mm. */
  async scaleBar(plane: Plane): Promise<{ text: string; mm: number }> {
    const bar = this.view(plane).getByTestId('scale-bar');
    return { text: (await bar.getByTestId('scale-bar-length').textContent()) ?? '', mm: Number(await bar.getAttribute('data-mm')) };
  }

  /** A point of a view, given as fractions of its size, in page coordinates. */
  async at(plane: Plane, f: readonly [number, number]): Promise<[number, number]> {
    const box = await this.view(plane).boundingBox();
    if (!box) throw new Error(`${plane} view is not visible`);
    return [box.x + box.width * f[0], box.y + box.height * f[1]];
  }

  /** Drag in a view between two points (fractions of its size), with a button and held keys. */
  async dragIn(
    plane: Plane,
    from: readonly [number, number],
    to: readonly [number, number],
    opts: { button?: 'left' | 'right' | 'middle'; keys?: readonly string[]; steps?: number } = {},
  ): Promise<void> {
    const [a, b] = [await this.at(plane, from), await this.at(plane, to)];
    const steps = opts.steps ?? 10;
    for (const k of opts.keys ?? []) await this.page.keyboard.down(k);
    await this.page.mouse.move(...a);
    await this.page.mouse.down({ button: opts.button ?? 'left' });
    for (let s = 1; s <= steps; s++) await this.page.mouse.move(a[0] + ((b[0] - a[0]) * s) / steps, a[1] + ((b[1] - a[1]) * s) / steps);
    await this.page.mouse.up({ button: opts.button ?? 'left' });
    for (const k of [...(opts.keys ?? [])].reverse()) await this.page.keyboard.up(k);
  }

  /** The view as RGBA pixels, from a real screenshot. */
  async shot(plane: Plane): Promise<PNG> {
    const box = await this.view(plane).boundingBox();
    if (!box) throw new Error(`${plane} view is not visible`);
    return PNG.sync.read(await this.page.screenshot({ clip: box }));
  }

  /** Share of pixels that differ (any channel by more than 8) between two shots of the same view. */
  static difference(a: PNG, b: PNG): number {
    if (a.width !== b.width || a.height !== b.height) return 1;
    let n = 0;
    for (let i = 0; i < a.data.length; i += 4) {
      if (Math.abs(a.data[i]! - b.data[i]!) > 8 || Math.abs(a.data[i + 1]! - b.data[i + 1]!) > 8 || Math.abs(a.data[i + 2]! - b.data[i + 2]!) > 8) n++;
    }
    return n / (a.width * a.height);
  }

  /** Centre (CSS pixels from the view's top-left) of the bright grey pixels: where the body is. */
  async brightCentroid(plane: Plane): Promise<[number, number]> {
    const png = await this.shot(plane);
    let sx = 0;
    let sy = 0;
    let n = 0;
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const i = (y * png.width + x) * 4;
        const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
        if (Math.max(r, g, b) - Math.min(r, g, b) <= 24 && r > 60) {
          sx += x;
          sy += y;
          n++;
        }
      }
    }
    return n === 0 ? [Number.NaN, Number.NaN] : [sx / n, sy / n];
  }

  async pixels(plane: Plane): Promise<PixelStats> {
    const box = await this.view(plane).boundingBox();
    if (!box) throw new Error(`${plane} view is not visible`);
    const clip = { x: box.x + box.width * 0.25, y: box.y + box.height * 0.25, width: box.width * 0.5, height: box.height * 0.5 };
    const png = PNG.sync.read(await this.page.screenshot({ clip }));
    let sum = 0;
    let sumSq = 0;
    const seen = new Set<number>();
    const n = png.width * png.height;
    for (let i = 0; i < n; i++) {
      const g = png.data[i * 4] as number;
      sum += g;
      sumSq += g * g;
      seen.add(g);
    }
    const mean = sum / n;
    return { mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), levels: seen.size };
  }
}
