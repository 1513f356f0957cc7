/** Page object of the 3D view: its picture, its controls, and the surface-update figures it publishes. */
import { writeFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { PNG } from 'pngjs';

export type Rgb = readonly [number, number, number];

/** The last label-surface update, from the view's data attributes (see VolumeView.svelte). */
export interface SurfaceUpdate {
  readonly count: number;
  readonly ms: number;
  readonly diffMs: number;
  readonly extractMs: number;
  readonly renderMs: number;
  readonly classes: number[];
  readonly voxels: number;
  readonly bricks: number;
  readonly full: boolean;
  readonly busy: boolean;
}

export class VolumeViewPage {
  readonly root: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('view-3d');
  }

  async screenshot(path?: string): Promise<PNG> {
    const box = await this.root.boundingBox();
    if (!box) throw new Error('3D view is not visible');
    const bytes = await this.page.screenshot({ clip: box });
    if (path) writeFileSync(path, bytes);
    return PNG.sync.read(bytes);
  }

  /** Distinct grey levels (of the luminance) and their spread over the view. */
  async pixelStats(): Promise<{ levels: number; std: number; lit: number }> {
    const png = await this.screenshot();
    const seen = new Set<number>();
    let sum = 0;
    let sumSq = 0;
    let lit = 0;
    const n = png.width * png.height;
    for (let i = 0; i < n; i++) {
      const y = Math.round(0.299 * png.data[i * 4]! + 0.587 * png.data[i * 4 + 1]! + 0.114 * png.data[i * 4 + 2]!);
      seen.add(y);
      sum += y;
      sumSq += y * y;
      if (y > 24) lit++;
    }
    const mean = sum / n;
    return { levels: seen.size, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), lit: lit / n };
  }

  async update(): Promise<SurfaceUpdate> {
    const a = async (name: string): Promise<string> => (await this.root.getAttribute(`data-surface-${name}`)) ?? '';
    const classes = await a('classes');
    return {
      count: Number(await a('updates')),
      ms: Number(await a('ms')),
      diffMs: Number(await a('diff-ms')),
      extractMs: Number(await a('extract-ms')),
      renderMs: Number(await a('render-ms')),
      classes: classes ? classes.split(',').map(Number) : [],
      voxels: Number(await a('voxels')),
      bricks: Number(await a('bricks')),
      full: (await a('full')) === 'true',
      busy: (await a('busy')) === 'true',
    };
  }

  /** Wait until an update after the `after`-th has finished and no other is under way. */
  nextUpdate(after: number, timeout = 30_000): Promise<SurfaceUpdate> {
    return this.waitForUpdate((u) => u.count > after, timeout);
  }

  /** Wait until the last finished update (with none under way) is one that `wanted` accepts. */
  async waitForUpdate(wanted: (u: SurfaceUpdate) => boolean, timeout = 30_000): Promise<SurfaceUpdate> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const u = await this.update();
      if (!u.busy && wanted(u)) return u;
      if (Date.now() > deadline) throw new Error(`no such surface update within ${timeout} ms; the last is ${JSON.stringify(u)}`);
      await this.page.waitForTimeout(50);
    }
  }

  async setPreset(id: 'ct-soft-tissue' | 'ct-bone' | 'mr-default'): Promise<void> {
    await this.root.getByTestId('volume-preset').selectOption(id);
  }

  /** Show or hide the volume rendering (the surfaces stay). */
  async showVolume(on: boolean): Promise<void> {
    await this.root.getByTestId('volume-toggle').setChecked(on);
    await this.page.locator(`[data-testid="view-3d"][data-volume="${on}"]`).waitFor();
  }
}

/**
 * Pixels drawn in a class colour under lighting: the same hue and proportions (a shade of it,
 * maybe with a little white highlight), not too dark to tell.
 */
export function isShadeOf(png: PNG, i: number, colour: Rgb, tolerance = 0.12): boolean {
  const p = [png.data[i * 4]!, png.data[i * 4 + 1]!, png.data[i * 4 + 2]!];
  const pm = Math.max(...p);
  if (pm < 40) return false;
  const cm = Math.max(...colour);
  return p.every((v, c) => Math.abs(v / pm - colour[c]! / cm) < tolerance);
}

export function countShades(png: PNG, colour: Rgb): number {
  let n = 0;
  for (let i = 0; i < png.width * png.height; i++) if (isShadeOf(png, i, colour)) n++;
  return n;
}

/** Indices of the pixels that differ between two screenshots of the same size. */
export function changedPixels(a: PNG, b: PNG, threshold = 24): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.width * a.height; i++) {
    const d = Math.abs(a.data[i * 4]! - b.data[i * 4]!) + Math.abs(a.data[i * 4 + 1]! - b.data[i * 4 + 1]!) + Math.abs(a.data[i * 4 + 2]! - b.data[i * 4 + 2]!);
    if (d > threshold) out.push(i);
  }
  return out;
}
