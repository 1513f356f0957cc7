/**
 * What the surface worker holds and does, without the messaging (so it can be tested): a mirror
 * of the label volume and every class's surface as brick meshes grouped by chunk.
 *
 * `reset` takes a whole label volume and extracts every brick near each class; `apply` takes the
 * voxels that changed (index and new class) and re-extracts only the bricks within the halo of a
 * change, only for the classes that left or entered a voxel. Both answer, for each (class, chunk)
 * that changed, the chunk's bricks joined into one mesh (empty when the class left the chunk;
 * after a reset, every one that has a surface). `apply` before any `reset` changes nothing.
 */
import {
  brickGrid,
  bricksAround,
  chunkOf,
  classPresence,
  concatMeshes,
  extractBrick,
  FULL_DETAIL,
  neighbourhood,
  type BrickGrid,
  type Dims,
  type Mesh,
  type SurfaceStep,
} from './surface-mesh';
import type { ClassSurface } from './surface-protocol';

export interface StoreAnswer {
  readonly surfaces: ClassSurface[];
  /** Bricks re-extracted. */
  readonly bricks: number;
}

export class SurfaceStore {
  #labels: Uint8Array | null = null;
  #grid: BrickGrid | null = null;
  #flip = false;
  #step: SurfaceStep = FULL_DETAIL;
  /** (chunk × 256 + class) → brick → mesh */
  readonly #meshes = new Map<number, Map<number, Mesh>>();

  /**
   * Take `labels` (kept and edited by `apply`; the caller gives up the array) and extract everything,
   * with cells of `step` voxels from now on.
   */
  reset(dims: Dims, labels: Uint8Array, flip: boolean, step: SurfaceStep = FULL_DETAIL): StoreAnswer {
    const grid = brickGrid(dims);
    this.#labels = labels;
    this.#grid = grid;
    this.#flip = flip;
    this.#step = step;
    this.#meshes.clear();
    const present = classPresence(grid, labels);
    const jobs = new Set<number>();
    for (let b = 0; b < grid.total; b++) {
      for (let cls = 1; cls < 256; cls++) {
        if (present[b * 256 + cls] === 0) continue;
        for (const n of neighbourhood(grid, b)) jobs.add(n * 256 + cls);
      }
    }
    return this.#extract(jobs, true);
  }

  apply(indices: Uint32Array, values: Uint8Array): StoreAnswer {
    const volume = this.#labels;
    const grid = this.#grid;
    const jobs = new Set<number>();
    if (!volume || !grid) return { surfaces: [], bricks: 0 };
    const around: number[] = [];
    for (let n = 0; n < indices.length; n++) {
      const at = indices[n]!;
      const before = volume[at]!;
      const after = values[n]!;
      if (before === after) continue;
      volume[at] = after;
      for (const b of bricksAround(grid, at, around)) {
        if (before !== 0) jobs.add(b * 256 + before);
        if (after !== 0) jobs.add(b * 256 + after);
      }
    }
    return this.#extract(jobs, false);
  }

  /** Re-extract `jobs` (brick × 256 + class); join each touched (class, chunk). */
  #extract(jobs: Set<number>, full: boolean): StoreAnswer {
    const volume = this.#labels;
    const grid = this.#grid;
    if (!volume || !grid) return { surfaces: [], bricks: 0 };
    const touched = new Set<number>();
    for (const job of jobs) {
      const brick = Math.floor(job / 256);
      const cls = job % 256;
      const key = chunkOf(grid, brick) * 256 + cls;
      touched.add(key);
      let byBrick = this.#meshes.get(key);
      const mesh = extractBrick(volume, grid, brick, cls, this.#flip, this.#step);
      if (mesh) {
        if (!byBrick) this.#meshes.set(key, (byBrick = new Map<number, Mesh>()));
        byBrick.set(brick, mesh);
      } else {
        byBrick?.delete(brick);
        if (byBrick?.size === 0) this.#meshes.delete(key);
      }
    }
    const surfaces = [...touched]
      .sort((a, b) => a - b)
      // A reset lists only what exists; an edit also lists what emptied.
      .filter((key) => !full || this.#meshes.has(key))
      .map((key) => ({ cls: key % 256, chunk: Math.floor(key / 256), ...concatMeshes(this.#meshes.get(key)?.values() ?? []) }));
    return { surfaces, bricks: jobs.size };
  }
}
