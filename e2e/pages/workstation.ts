/** Page object of the workstation window: what a user sees and does, in test vocabulary. */
import type { Locator, Page } from 'playwright-core';
import { PNG } from 'pngjs';

export interface PixelStats {
  readonly mean: number;
  readonly std: number;
  /** Distinct grey levels (of 256) in the region; an empty canvas has one. */
  readonly levels: number;
}

export class WorkstationPage {
  readonly axialView: Locator;
  readonly sliceIndicator: Locator;
  readonly studyName: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.axialView = page.getByTestId('axial-view');
    this.sliceIndicator = page.getByTestId('slice-indicator');
    this.studyName = page.getByTestId('study-name');
    this.error = page.getByTestId('error');
  }

  async currentSlice(): Promise<number> {
    return Number(await this.axialView.getAttribute('data-slice'));
  }

  /** Scroll the wheel over the axial view; positive `notches` scroll down. */
  async scroll(notches: number): Promise<void> {
    const box = await this.axialView.boundingBox();
    if (!box) throw new Error('axial view is not visible');
    await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < Math.abs(notches); i++) await this.page.mouse.wheel(0, Math.sign(notches) * 100);
  }

  /** Grey-level statistics of the central part of the axial view, from a real screenshot. */
  async axialPixels(): Promise<PixelStats> {
    const box = await this.axialView.boundingBox();
    if (!box) throw new Error('axial view is not visible');
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
