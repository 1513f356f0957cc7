/**
 * Page object of the correction tools: the Tools section of the side panel, and where a voxel
 * is on screen in a slice view (found the way a user would, from the cursor readout), so a
 * test can click exactly on an organ or draw a polygon around one.
 */
import type { Locator, Page } from 'playwright-core';
import type { Plane, WorkstationPage } from './workstation.js';

type Ijk = readonly [number, number, number];

/** How one view's screen maps to voxels: for screen x and y, the voxel axis and voxels per pixel. */
interface Mapping {
  readonly x0: number;
  readonly y0: number;
  readonly ijk0: Ijk;
  readonly xAxis: 0 | 1 | 2;
  readonly yAxis: 0 | 1 | 2;
  readonly xScale: number;
  readonly yScale: number;
}

export class ToolsPanel {
  readonly root: Locator;
  readonly #mappings = new Map<Plane, Mapping>();

  constructor(
    readonly page: Page,
    readonly ws: WorkstationPage,
  ) {
    this.root = page.getByTestId('tools-panel');
  }

  control(testId: string): Locator {
    return this.root.getByTestId(testId);
  }

  /** Type a number into one of the panel's inputs and leave it (the change is committed on blur). */
  async setNumber(testId: string, value: number): Promise<void> {
    const input = this.control(testId);
    await input.fill(String(value));
    await input.blur();
  }

  /** Page coordinates of a voxel's centre in a view (on its current slice), checked against the readout. */
  async pointOf(plane: Plane, ijk: Ijk): Promise<[number, number]> {
    const m = this.#mappings.get(plane) ?? (await this.#calibrate(plane));
    let x = m.x0 + (ijk[m.xAxis] - m.ijk0[m.xAxis]) / m.xScale;
    let y = m.y0 + (ijk[m.yAxis] - m.ijk0[m.yAxis]) / m.yScale;
    // The readout rounds to whole voxels: nudge until it names the wanted one.
    for (let n = 0; n < 8; n++) {
      const got = await this.#ijkAt(x, y);
      const dx = ijk[m.xAxis] - got[m.xAxis];
      const dy = ijk[m.yAxis] - got[m.yAxis];
      if (dx === 0 && dy === 0) return [x, y];
      x += dx / m.xScale;
      y += dy / m.yScale;
    }
    throw new Error(`cannot find voxel ${ijk.join(', ')} in the ${plane} view`);
  }

  /** Click a voxel in a view. */
  async clickVoxel(plane: Plane, ijk: Ijk): Promise<void> {
    const [x, y] = await this.pointOf(plane, ijk);
    await this.page.mouse.click(x, y);
  }

  async #ijkAt(x: number, y: number): Promise<Ijk> {
    await this.page.mouse.move(x, y);
    return (await this.ws.readout()).ijk;
  }

  async #calibrate(plane: Plane): Promise<Mapping> {
    const [x0, y0] = await this.ws.at(plane, [0.3, 0.3]);
    const [x1, y1] = await this.ws.at(plane, [0.7, 0.7]);
    const ijk0 = await this.#ijkAt(x0, y0);
    const ijkX = await this.#ijkAt(x1, y0);
    const ijkY = await this.#ijkAt(x0, y1);
    const along = (to: Ijk): 0 | 1 | 2 => ([0, 1, 2] as const).reduce((a, b) => (Math.abs(to[b] - ijk0[b]) > Math.abs(to[a] - ijk0[a]) ? b : a));
    const xAxis = along(ijkX);
    const yAxis = along(ijkY);
    const m: Mapping = { x0, y0, ijk0, xAxis, yAxis, xScale: (ijkX[xAxis] - ijk0[xAxis]) / (x1 - x0), yScale: (ijkY[yAxis] - ijk0[yAxis]) / (y1 - y0) };
    this.#mappings.set(plane, m);
    return m;
  }
}
