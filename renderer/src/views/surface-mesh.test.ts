import { describe, expect, it } from 'vitest';
import {
  blur,
  BRICK,
  brickGrid,
  bricksAround,
  CHUNK,
  chunkOf,
  classPresence,
  concatMeshes,
  extractBrick,
  FULL_DETAIL,
  MIXED,
  neighbourhood,
  ONE,
  ZERO,
  type Dims,
  type Mesh,
  type SurfaceStep,
} from './surface-mesh';

function volume(dims: Dims, inside: (i: number, j: number, k: number) => number): Uint8Array {
  const labels = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) labels[i + dims[0] * (j + dims[1] * k)] = inside(i, j, k);
  return labels;
}

/** Every brick's surface of a class, joined. */
function surface(labels: Uint8Array, dims: Dims, cls: number, flip = false, step: SurfaceStep = FULL_DETAIL): Mesh {
  const grid = brickGrid(dims);
  const meshes: Mesh[] = [];
  for (let b = 0; b < grid.total; b++) {
    const m = extractBrick(labels, grid, b, cls, flip, step);
    if (m) meshes.push(m);
  }
  return concatMeshes(meshes);
}

/** Weld vertices at equal positions (bricks duplicate those on shared faces); edge → use count. */
function edgeUse(m: Mesh): Map<string, number> {
  const key = (v: number): string => `${m.positions[v * 3]},${m.positions[v * 3 + 1]},${m.positions[v * 3 + 2]}`;
  const uses = new Map<string, number>();
  for (let c = 0; c < m.polys.length; c += 4) {
    const t = [key(m.polys[c + 1]!), key(m.polys[c + 2]!), key(m.polys[c + 3]!)];
    for (let e = 0; e < 3; e++) {
      // Directed edge: a closed, consistently wound surface uses each one exactly once.
      const k = `${t[e]}>${t[(e + 1) % 3]}`;
      uses.set(k, (uses.get(k) ?? 0) + 1);
    }
  }
  return uses;
}

/** A closed, consistently wound surface: each directed edge used once, and its twin once. */
function expectClosed(m: Mesh): void {
  const uses = edgeUse(m);
  for (const [edge, n] of uses) {
    expect(n, edge).toBe(1);
    const [a, b] = edge.split('>');
    expect(uses.get(`${b}>${a}`), `twin of ${edge}`).toBe(1);
  }
}

/** Signed volume (divergence theorem) in voxel units³; positive when triangles wind outward. */
function signedVolume(m: Mesh): number {
  let v = 0;
  const p = (i: number): [number, number, number] => [m.positions[i * 3]!, m.positions[i * 3 + 1]!, m.positions[i * 3 + 2]!];
  for (let c = 0; c < m.polys.length; c += 4) {
    const [a, b, d] = [p(m.polys[c + 1]!), p(m.polys[c + 2]!), p(m.polys[c + 3]!)];
    v += (a[0] * (b[1] * d[2] - b[2] * d[1]) - a[1] * (b[0] * d[2] - b[2] * d[0]) + a[2] * (b[0] * d[1] - b[1] * d[0])) / 6;
  }
  return v;
}

describe('label surfaces by brick', () => {
  const dims: Dims = [70, 60, 50];
  const r = 20;
  const sphere = volume(dims, (i, j, k) => ((i - 33) ** 2 + (j - 30) ** 2 + (k - 25) ** 2 <= r * r ? 3 : 0));

  it('a sphere across several bricks is one closed surface, wound outward, of about its volume', () => {
    const m = surface(sphere, dims, 3);
    expectClosed(m);
    expect(signedVolume(m) / ((4 / 3) * Math.PI * r ** 3)).toBeCloseTo(1, 1);
  });

  it('vertex normals point outward, and flip reverses only the winding', () => {
    const m = surface(sphere, dims, 3);
    for (let v = 0; v < m.positions.length; v += 3) {
      const out = [m.positions[v]! - 33, m.positions[v + 1]! - 30, m.positions[v + 2]! - 25];
      const len = Math.hypot(out[0]!, out[1]!, out[2]!);
      expect((out[0]! * m.normals[v]! + out[1]! * m.normals[v + 1]! + out[2]! * m.normals[v + 2]!) / len).toBeGreaterThan(0.8);
    }
    expect(signedVolume(surface(sphere, dims, 3, true))).toBeCloseTo(-signedVolume(m), 3);
  });

  it('a class touching the volume edge is closed there too', () => {
    const block = volume([20, 20, 20], (i, j, k) => (i < 8 && j < 8 && k < 8 ? 1 : 0));
    const m = surface(block, [20, 20, 20], 1);
    for (const n of edgeUse(m).values()) expect(n).toBe(1);
    expect(signedVolume(m)).toBeGreaterThan(300);
  });

  it('a one-slice brush stroke still shows; other classes are not in the mesh', () => {
    const stroke = volume(dims, (i, j, k) => (k === 10 && (i - 20) ** 2 + (j - 20) ** 2 <= 16 ? 5 : k === 30 ? 2 : 0));
    const m = surface(stroke, dims, 5);
    expect(m.polys.length).toBeGreaterThan(0);
    const zs = new Set<number>();
    for (let v = 2; v < m.positions.length; v += 3) zs.add(Math.round(m.positions[v]!));
    expect([...zs]).toEqual([10]);
  });

  it('a change dirties only the bricks within the halo, and presence finds each class once per brick', () => {
    const grid = brickGrid(dims);
    expect(grid.counts).toEqual([3, 2, 2]);
    const at = (i: number, j: number, k: number): number => i + dims[0] * (j + dims[1] * k);
    expect(bricksAround(grid, at(10, 10, 10), [])).toEqual([0]);
    // Padded i + 1 = 31 is 1 cell from brick 1's first cell: both bricks along x.
    expect(bricksAround(grid, at(30, 10, 10), [])).toEqual([0, 1]);
    const present = classPresence(grid, sphere);
    // The sphere spans padded x 14..54: bricks 0 and 1 along x, all along y and z.
    const holding = [...Array(grid.total).keys()].filter((b) => present[b * 256 + 3] === 1);
    expect(holding).toEqual([0, 1, 3, 4, 6, 7, 9, 10]);
    expect(neighbourhood(grid, 0).sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 6, 7, 9, 10]);
    expect(BRICK).toBe(32);
  });

  it('re-extracting only the dirty bricks after an edit equals extracting everything', () => {
    const grid = brickGrid(dims);
    const edited = sphere.slice();
    const changed: number[] = [];
    for (let j = 25; j < 40; j++) for (let i = 28; i < 40; i++) {
      const n = i + dims[0] * (j + dims[1] * 46);
      edited[n] = 3;
      changed.push(n);
    }
    const dirty = new Set<number>();
    for (const n of changed) for (const b of bricksAround(grid, n, [])) dirty.add(b);
    for (let b = 0; b < grid.total; b++) {
      const before = extractBrick(sphere, grid, b, 3);
      const after = extractBrick(edited, grid, b, 3);
      if (!dirty.has(b)) expect(after, `brick ${b}`).toEqual(before);
    }
  });
});

// Coarse cells (a software rasteriser's 3D view): the same guarantees at a quarter or less of the triangles.
describe.each([
  [[2, 2, 1] as const],
  [[2, 2, 2] as const],
  [[4, 4, 2] as const],
])('label surfaces with cells of %j voxels', (step) => {
  // 70 and 50 voxels leave the last brick along x and z an odd number of cells (mid-cell ends).
  const dims: Dims = [70, 60, 50];
  const r = 20;
  const sphere = volume(dims, (i, j, k) => ((i - 33) ** 2 + (j - 30) ** 2 + (k - 25) ** 2 <= r * r ? 3 : 0));
  const cells = step[0] * step[1] * step[2];

  it('a sphere across bricks is still one closed surface, wound outward, of about its volume, with fewer triangles', () => {
    const m = surface(sphere, dims, 3, false, step);
    expectClosed(m);
    expect(signedVolume(m) / ((4 / 3) * Math.PI * r ** 3)).toBeCloseTo(1, 1);
    const full = surface(sphere, dims, 3).polys.length;
    // Triangles scale with the surface's area in cells: about full ÷ cells^(2/3).
    expect(m.polys.length).toBeLessThan((1.5 * full) / cells ** (2 / 3));
    for (let v = 0; v < m.positions.length; v += 3) {
      const out = [m.positions[v]! - 33, m.positions[v + 1]! - 30, m.positions[v + 2]! - 25];
      const len = Math.hypot(out[0]!, out[1]!, out[2]!);
      // On the sphere within a cell, and shaded outward.
      expect(Math.abs(len - r)).toBeLessThan(Math.max(...step));
      expect((out[0]! * m.normals[v]! + out[1]! * m.normals[v + 1]! + out[2]! * m.normals[v + 2]!) / len).toBeGreaterThan(0.8);
    }
  });

  it('a class touching the volume edges closes there, also where the volume ends mid-cell', () => {
    const block = volume([21, 22, 23], (i, j, k) => (i < 8 || j > 15 || k > 18 ? 1 : 0));
    const m = surface(block, [21, 22, 23], 1, false, step);
    expect(m.polys.length).toBeGreaterThan(0);
    for (const n of edgeUse(m).values()) expect(n).toBe(1);
  });

  it('re-extracting only the bricks within the halo of an edit equals extracting everything', () => {
    const grid = brickGrid(dims);
    const edited = sphere.slice();
    const dirty = new Set<number>();
    for (let j = 25; j < 40; j++) for (let i = 28; i < 40; i++) {
      const n = i + dims[0] * (j + dims[1] * 46);
      edited[n] = 3;
      for (const b of bricksAround(grid, n, [])) dirty.add(b);
    }
    let changed = 0;
    for (let b = 0; b < grid.total; b++) {
      const before = extractBrick(sphere, grid, b, 3, false, step);
      const after = extractBrick(edited, grid, b, 3, false, step);
      if (!dirty.has(b)) expect(after, `brick ${b}`).toEqual(before);
      else if (JSON.stringify(after) !== JSON.stringify(before)) changed++;
    }
    expect(changed).toBeGreaterThan(0);
  });
});

describe('chunks', () => {
  it('group CHUNK³ bricks', () => {
    const grid = brickGrid([300, 40, 20]); // 10 × 2 × 1 bricks → 3 × 1 × 1 chunks
    expect(grid.counts).toEqual([10, 2, 1]);
    expect([0, 3, 4, 7, 8, 9, 10, 13, 14, 19].map((b) => chunkOf(grid, b))).toEqual([0, 0, 1, 1, 2, 2, 0, 0, 1, 2]);
    expect(CHUNK).toBe(4);
  });
});

describe('the blur behind the surfaces', () => {
  /** The plain separable [1 4 6 4 1]/16 blur, every voxel computed, in the same order of passes. */
  function reference(src: Uint8Array | Float32Array, sx: number, sy: number, sz: number): Float32Array {
    const w = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16];
    const [ox, oy, oz] = [sx - 4, sy - 4, sz - 4];
    const tap = (at: (n: number) => number): number => w[0]! * at(0) + w[1]! * at(1) + w[2]! * at(2) + w[3]! * at(3) + w[4]! * at(4);
    const t1 = new Float32Array(ox * sy * sz);
    for (let r = 0; r < sy * sz; r++) for (let x = 0; x < ox; x++) t1[ox * r + x] = tap((n) => src[sx * r + x + n]!);
    const t2 = new Float32Array(ox * oy * sz);
    for (let z = 0; z < sz; z++) for (let y = 0; y < oy; y++) for (let x = 0; x < ox; x++) t2[ox * (y + oy * z) + x] = tap((n) => t1[ox * (y + n + sy * z) + x]!);
    const out = new Float32Array(ox * oy * oz);
    for (let i = 0; i < out.length; i++) out[i] = tap((n) => t2[i + n * ox * oy]!);
    return out;
  }

  it('skips rows wholly inside or outside yet gives the full computation bit for bit, twice over', () => {
    // A block of whole-row runs (inside, outside) with a ragged boundary and speckle, so rows of
    // every kind meet in every pass.
    const [sx, sy, sz] = [43, 41, 39];
    const mask = new Uint8Array(sx * sy * sz);
    let seed = 11;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let z = 0; z < sz; z++) for (let y = 0; y < sy; y++) {
      const row = sx * (y + sy * z);
      if (y + z < 30) mask.fill(1, row, row + sx);
      else if (y + z < 40) for (let x = 0; x < sx; x++) mask[row + x] = x < 20 + rnd() * 10 ? 1 : 0;
      if (rnd() < 0.05) mask[row + Math.floor(rnd() * sx)] = rnd() < 0.5 ? 1 : 0;
    }
    const kinds = new Uint8Array(sy * sz);
    for (let r = 0; r < sy * sz; r++) {
      let ones = 0;
      for (let x = 0; x < sx; x++) ones += mask[sx * r + x]!;
      kinds[r] = ones === 0 ? ZERO : ones === sx ? ONE : MIXED;
    }
    expect(new Set(kinds)).toEqual(new Set([ZERO, ONE, MIXED]));
    const once = blur(mask, kinds, sx, sy, sz);
    const want = reference(mask, sx, sy, sz);
    expect(Array.from(once.out)).toEqual(Array.from(want));
    // The blur of the blur (the normals' field) from the kinds the first pass returned.
    const twice = blur(once.out, once.kinds, sx - 4, sy - 4, sz - 4);
    expect(Array.from(twice.out)).toEqual(Array.from(reference(want, sx - 4, sy - 4, sz - 4)));
    expect(once.kinds.some((k) => k !== MIXED)).toBe(true);
  });
});
