import { describe, expect, it } from 'vitest';
import { BRICK, CHUNK, type Dims } from './surface-mesh';
import { SurfaceStore } from './surface-store';

describe('SurfaceStore', () => {
  // Two chunks along x (CHUNK × BRICK cells each), so an edit on one side leaves the other alone.
  const dims: Dims = [CHUNK * BRICK + 40, 40, 30];
  const at = (i: number, j: number, k: number): number => i + dims[0] * (j + dims[1] * k);
  function volume(): Uint8Array {
    const labels = new Uint8Array(dims[0] * dims[1] * dims[2]);
    for (let k = 5; k < 25; k++) for (let j = 5; j < 35; j++) for (let i = 10; i < dims[0] - 10; i++) labels[at(i, j, k)] = 2;
    for (let k = 10; k < 20; k++) for (let j = 10; j < 20; j++) for (let i = 20; i < 30; i++) labels[at(i, j, k)] = 4;
    return labels;
  }

  it('a reset lists every class in every chunk it reaches, and nothing empty', () => {
    const { surfaces } = new SurfaceStore().reset(dims, volume(), false);
    expect(surfaces.map((s) => [s.cls, s.chunk])).toEqual([
      [2, 0],
      [4, 0],
      [2, 1],
    ]);
    for (const s of surfaces) expect(s.polys.length).toBeGreaterThan(0);
  });

  it('an edit answers only the classes that changed, in the chunk it touched', () => {
    const store = new SurfaceStore();
    store.reset(dims, volume(), false);
    // Class 4 grows into class 2's box, far from chunk 1.
    const indices = Uint32Array.of(at(30, 15, 15), at(31, 15, 15));
    const { surfaces, bricks } = store.apply(indices, Uint8Array.of(4, 4));
    expect(surfaces.map((s) => [s.cls, s.chunk])).toEqual([
      [2, 0],
      [4, 0],
    ]);
    expect(bricks).toBeLessThanOrEqual(4);
    // The same values again change nothing.
    expect(store.apply(indices, Uint8Array.of(4, 4)).surfaces).toEqual([]);
  });

  it('a class erased from a chunk answers an empty mesh there, so its actor is cleared', () => {
    const store = new SurfaceStore();
    const labels = volume();
    store.reset(dims, labels, false);
    const gone: number[] = [];
    for (let k = 10; k < 20; k++) for (let j = 10; j < 20; j++) for (let i = 20; i < 30; i++) gone.push(at(i, j, k));
    const { surfaces } = store.apply(Uint32Array.from(gone), new Uint8Array(gone.length));
    const four = surfaces.filter((s) => s.cls === 4);
    expect(four.length).toBe(1);
    expect(four[0]?.polys.length).toBe(0);
  });

  it('changes before any reset are ignored', () => {
    expect(new SurfaceStore().apply(Uint32Array.of(1), Uint8Array.of(3))).toEqual({ surfaces: [], bricks: 0 });
  });
});
