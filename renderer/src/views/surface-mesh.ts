/**
 * Label surfaces, brick by brick: the smoothed boundary of one class inside one brick of the
 * label volume, as a triangle mesh in voxel index coordinates (the 3D view's actor matrix places
 * it in patient space, and its normal matrix turns the index-space normals).
 *
 * Invariants, so that bricks re-extracted after an edit join their neighbours without cracks:
 * - The volume is padded by one empty voxel on every side (surfaces close at the volume edge);
 *   bricks tile the padded grid's cells, BRICK cells a side.
 * - The field is the class mask blurred by a separable [1 4 6 4 1]/16 kernel, then constrained:
 *   a voxel of the class stays ≥ 0.5 + MARGIN and any other voxel ≤ 0.5 − MARGIN, so the surface
 *   is smooth yet keeps every labelled voxel (a one-slice brush stroke still shows) and the
 *   mask's topology. The surface is its 0.5 level set (marching cubes with vtk.js's case table).
 * - Normals are the (negated) gradient of the blurred mask blurred once more (unconstrained), so
 *   shading does not show the voxel staircase the constraint keeps on gently sloping surfaces.
 * - Every value a brick reads (field and its central-difference normals) comes from the labels
 *   within HALO voxels of the brick, so a change dirties only the bricks within HALO of it, and
 *   vertices on a shared brick face come out identical on both sides.
 * Labels are a Uint8Array in i-fastest order of `dims`; anything else is the caller's bug.
 */
import caseTable from '@kitware/vtk.js/Filters/General/ImageMarchingCubes/caseTable';

import type { Dims } from '../../../common/geometry';

export type { Dims };

/** Cells per brick side; a 32³ brick extracts in a few milliseconds. */
export const BRICK = 32;
const BLUR = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16] as const;
const R = 2;
const MARGIN = 0.1;
/** Voxels around a changed voxel whose cells may change: two blurs, normal stencil, one cell. */
export const HALO = 2 * R + 2;

export interface Mesh {
  /** xyz per vertex, voxel index coordinates. */
  readonly positions: Float32Array;
  /** Outward normal per vertex, in index space (not unit length after the actor's transform). */
  readonly normals: Float32Array;
  /** vtk cell array: 3, a, b, c per triangle. */
  readonly polys: Uint32Array;
}

export interface BrickGrid {
  readonly dims: Dims;
  /** Bricks along each axis of the padded cell grid (dims + 1 cells). */
  readonly counts: Dims;
  readonly total: number;
}

export function brickGrid(dims: Dims): BrickGrid {
  const counts: Dims = [Math.ceil((dims[0] + 1) / BRICK), Math.ceil((dims[1] + 1) / BRICK), Math.ceil((dims[2] + 1) / BRICK)];
  return { dims, counts, total: counts[0] * counts[1] * counts[2] };
}

/**
 * Bricks per chunk side. A class's surface is drawn as one mesh per chunk (128³ voxels), so an
 * edit re-joins and re-uploads only the chunk it touched, not the whole organ.
 */
export const CHUNK = 4;

/** The chunk a brick belongs to. */
export function chunkOf(grid: BrickGrid, brick: number): number {
  const [cx, cy] = grid.counts;
  const kx = Math.ceil(cx / CHUNK);
  const ky = Math.ceil(cy / CHUNK);
  const bx = brick % cx;
  const by = Math.floor(brick / cx) % cy;
  const bz = Math.floor(brick / (cx * cy));
  return Math.floor(bx / CHUNK) + kx * (Math.floor(by / CHUNK) + ky * Math.floor(bz / CHUNK));
}

/** Ids of the bricks whose cells a change of voxel `index` may alter. */
export function bricksAround(grid: BrickGrid, index: number, out: number[]): number[] {
  out.length = 0;
  const [nx, ny] = grid.dims;
  const i = index % nx;
  const j = Math.floor(index / nx) % ny;
  const k = Math.floor(index / (nx * ny));
  const [cx, cy, cz] = grid.counts;
  // Padded coordinate u = i + 1; cells [u − HALO, u + HALO − 1] may change.
  const lo = (v: number): number => Math.max(0, Math.floor((v + 1 - HALO) / BRICK));
  const hi = (v: number, c: number): number => Math.min(c - 1, Math.floor((v + HALO) / BRICK));
  for (let bz = lo(k); bz <= hi(k, cz); bz++) {
    for (let by = lo(j); by <= hi(j, cy); by++) {
      for (let bx = lo(i); bx <= hi(i, cx); bx++) out.push(bx + cx * (by + cy * bz));
    }
  }
  return out;
}

/** Per brick, which classes have a voxel in it: `present[brick * 256 + class]`. */
export function classPresence(grid: BrickGrid, labels: Uint8Array): Uint8Array {
  const [nx, ny, nz] = grid.dims;
  const [cx, cy] = grid.counts;
  const present = new Uint8Array(grid.total * 256);
  for (let k = 0; k < nz; k++) {
    const bz = Math.floor((k + 1) / BRICK);
    for (let j = 0; j < ny; j++) {
      const rowBrick = cx * (Math.floor((j + 1) / BRICK) + cy * bz);
      const row = nx * (j + ny * k);
      for (let i = 0; i < nx; i++) {
        const v = labels[row + i]!;
        if (v !== 0) present[(rowBrick + Math.floor((i + 1) / BRICK)) * 256 + v] = 1;
      }
    }
  }
  return present;
}

/** The brick and its 26 neighbours (a class in one brick can reach the next through the halo). */
export function neighbourhood(grid: BrickGrid, brick: number): number[] {
  const [cx, cy, cz] = grid.counts;
  const bx = brick % cx;
  const by = Math.floor(brick / cx) % cy;
  const bz = Math.floor(brick / (cx * cy));
  const out: number[] = [];
  for (let z = Math.max(0, bz - 1); z <= Math.min(cz - 1, bz + 1); z++) {
    for (let y = Math.max(0, by - 1); y <= Math.min(cy - 1, by + 1); y++) {
      for (let x = Math.max(0, bx - 1); x <= Math.min(cx - 1, bx + 1); x++) out.push(x + cx * (y + cy * z));
    }
  }
  return out;
}

// Each of the 12 cube edges as its lower corner offset and axis, from vtk's corner ids.
const EDGE_CORNER: number[] = [];
const EDGE_AXIS: number[] = [];
for (let e = 0; e < 12; e++) {
  const [a, b] = caseTable.getEdge(e);
  EDGE_CORNER.push(a);
  EDGE_AXIS.push(Math.log2(a ^ b));
}
// Triangles per case as flat edge lists (−1 dropped), looked up once per surface cell.
const CASES: Int8Array[] = Array.from({ length: 256 }, (_, c) => Int8Array.from(caseTable.getCase(c).filter((e) => e >= 0)));
// The case-index bit of each vtk corner id (the index bits follow Lorensen's corner order).
const CORNER_BIT = Uint8Array.of(1, 2, 8, 4, 16, 32, 128, 64);

/**
 * What each row (the x run at one y, z) of a block holds: ZERO or ONE throughout, or MIXED. A
 * surface brick's block is mostly deep inside or outside the class, and the blur of uniform
 * rows is that value again (the kernel sums to exactly 1 in binary), so it is not computed.
 */
export const ZERO = 0;
export const ONE = 1;
export const MIXED = 2;

/** The kind of five rows together (indices `first`, `first + step`, …). */
function kindOf(kinds: Uint8Array, first: number, step: number): number {
  const k = kinds[first]!;
  if (k === MIXED) return MIXED;
  for (let n = 1; n < 5; n++) if (kinds[first + n * step] !== k) return MIXED;
  return k;
}

/**
 * The separable BLUR of an sx × sy × sz block whose rows are of `kinds` (sy × sz): its interior,
 * R smaller on every side, and the kinds of its rows. Bit for bit the full computation.
 */
export function blur(src: Uint8Array | Float32Array, kinds: Uint8Array, sx: number, sy: number, sz: number): { out: Float32Array; kinds: Uint8Array } {
  const [ox, oy, oz] = [sx - 2 * R, sy - 2 * R, sz - 2 * R];
  const t1 = new Float32Array(ox * sy * sz);
  for (let row = 0; row < sy * sz; row++) {
    const s = sx * row;
    const d = ox * row;
    const kind = kinds[row];
    if (kind === ONE) t1.fill(1, d, d + ox);
    if (kind !== MIXED) continue;
    for (let x = 0; x < ox; x++) {
      const p = s + x;
      t1[d + x] = BLUR[0] * src[p]! + BLUR[1] * src[p + 1]! + BLUR[2] * src[p + 2]! + BLUR[3] * src[p + 3]! + BLUR[4] * src[p + 4]!;
    }
  }
  // t1's rows have the source rows' kinds.
  const t2 = new Float32Array(ox * oy * sz);
  const kinds2 = new Uint8Array(oy * sz);
  for (let z = 0; z < sz; z++) {
    for (let y = 0; y < oy; y++) {
      const s = ox * (y + sy * z);
      const d = ox * (y + oy * z);
      const kind = kindOf(kinds, y + sy * z, 1);
      kinds2[y + oy * z] = kind;
      if (kind === ONE) t2.fill(1, d, d + ox);
      if (kind !== MIXED) continue;
      for (let x = 0; x < ox; x++) {
        const p = s + x;
        t2[d + x] = BLUR[0] * t1[p]! + BLUR[1] * t1[p + ox]! + BLUR[2] * t1[p + 2 * ox]! + BLUR[3] * t1[p + 3 * ox]! + BLUR[4] * t1[p + 4 * ox]!;
      }
    }
  }
  const out = new Float32Array(ox * oy * oz);
  const kindsOut = new Uint8Array(oy * oz);
  const plane = ox * oy;
  for (let z = 0; z < oz; z++) {
    for (let y = 0; y < oy; y++) {
      const d = ox * (y + oy * z);
      const kind = kindOf(kinds2, y + oy * z, oy);
      kindsOut[y + oy * z] = kind;
      if (kind === ONE) out.fill(1, d, d + ox);
      if (kind !== MIXED) continue;
      for (let n = d; n < d + ox; n++) {
        out[n] = BLUR[0] * t2[n]! + BLUR[1] * t2[n + plane]! + BLUR[2] * t2[n + 2 * plane]! + BLUR[3] * t2[n + 3 * plane]! + BLUR[4] * t2[n + 4 * plane]!;
      }
    }
  }
  return { out, kinds: kindsOut };
}

class Growable<T extends Float32Array | Uint32Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push3(a: number, b: number, c: number): void {
    if (this.length + 3 > this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = a;
    this.data[this.length++] = b;
    this.data[this.length++] = c;
  }
  trimmed(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * Marching-cubes cell size in voxels along each axis: 1 (every voxel; the default) or coarser,
 * 2 or 4 (divisors of BRICK, so the coarse lattice is the same on both sides of a brick face and
 * bricks still join without cracks). A coarse step trades detail for triangles: for a software
 * rasteriser, which draws a frame of a full-detail abdomen (~2 M triangles) in about a second.
 * Structures thinner than a cell may not show at a coarse step.
 */
export type SurfaceStep = readonly [number, number, number];
export const FULL_DETAIL: SurfaceStep = [1, 1, 1];

/**
 * The surface of class `cls` in brick `brick`, or null when the brick holds none of it (or only
 * it). `flip` reverses triangle winding, for index→patient matrices that mirror (negative
 * determinant), so front faces stay the outside. `step`: the cell size (see SurfaceStep).
 */
export function extractBrick(labels: Uint8Array, grid: BrickGrid, brick: number, cls: number, flip = false, step: SurfaceStep = FULL_DETAIL): Mesh | null {
  const [dx, dy, dz] = grid.dims;
  const [cx, cy] = grid.counts;
  const at = [brick % cx, Math.floor(brick / cx) % cy, Math.floor(brick / (cx * cy))] as const;
  // Cells [c0, c1) of the padded grid; points c0..c1; field at c0−1..c1+1; mask 2R further out.
  const c0 = [at[0] * BRICK, at[1] * BRICK, at[2] * BRICK] as const;
  const dimsP = [dx + 1, dy + 1, dz + 1] as const;
  // Cells per axis at this step (the volume's last brick may end mid-cell: its last coarse point
  // lies beyond the padding, outside every class, so the surface still closes).
  const cellsAlong = (a: 0 | 1 | 2): number => Math.ceil(Math.min(BRICK, dimsP[a] - c0[a]) / step[a]);
  const cells = [cellsAlong(0), cellsAlong(1), cellsAlong(2)] as const;
  // Points along each axis at full resolution, up to the last coarse point.
  const np = [cells[0] * step[0] + 1, cells[1] * step[1] + 1, cells[2] * step[2] + 1] as const;
  const [fx, fy, fz] = [np[0] + 2, np[1] + 2, np[2] + 2];
  // The mask reaches 2R beyond the field: R for the blur, R more for the normals' second blur.
  const M = 2 * R;
  const [mx, my, mz] = [fx + 2 * M, fy + 2 * M, fz + 2 * M];

  // Mask: 1 where the voxel is the class; voxel index = padded − 1.
  const mask = new Uint8Array(mx * my * mz);
  const maskKinds = new Uint8Array(my * mz); // ZERO unless set below
  const i0 = c0[0] - 1 - M - 1;
  const iFrom = Math.max(0, -i0);
  const iTo = Math.min(mx, dx - i0);
  let insidePoints = 0;
  for (let z = 0; z < mz; z++) {
    const k = c0[2] - 1 - M - 1 + z;
    if (k < 0 || k >= dz) continue;
    for (let y = 0; y < my; y++) {
      const j = c0[1] - 1 - M - 1 + y;
      if (j < 0 || j >= dy) continue;
      const src = i0 + dx * (j + dy * k);
      const dst = mx * (y + my * z);
      const isPointRow = z > M && z < mz - M - 1 && y > M && y < my - M - 1;
      let ones = 0;
      for (let x = iFrom; x < iTo; x++) {
        if (labels[src + x] === cls) {
          mask[dst + x] = 1;
          ones++;
          if (isPointRow && x > M && x < mx - M - 1) insidePoints++;
        }
      }
      maskKinds[y + my * z] = ones === 0 ? ZERO : ones === mx ? ONE : MIXED;
    }
  }
  if (insidePoints === 0 || insidePoints === np[0] * np[1] * np[2]) return null;

  // The blurred mask (R beyond the field), the constrained field, and the normals' field: the
  // blurred mask blurred again, so shading does not show the staircase the constraint keeps.
  const [sx, sy] = [fx + 2 * R, fy + 2 * R];
  const blurred = blur(mask, maskKinds, mx, my, mz);
  const smooth = blurred.out;
  const shade = blur(smooth, blurred.kinds, sx, sy, fz + 2 * R).out;
  const field = new Float32Array(fx * fy * fz);
  const plane = fx * fy;
  for (let z = 0; z < fz; z++) {
    for (let y = 0; y < fy; y++) {
      const d = fx * (y + fy * z);
      const b = R + sx * (y + R + sy * (z + R));
      const m = M + mx * (y + M + my * (z + M));
      for (let x = 0; x < fx; x++) {
        const v = smooth[b + x]!;
        field[d + x] = mask[m + x] ? Math.max(v, 0.5 + MARGIN) : Math.min(v, 0.5 - MARGIN);
      }
    }
  }

  // Marching cubes over the brick's cells; one vertex per crossed edge, shared through `edgeVertex`.
  const positions = new Growable(new Float32Array(3072), (n) => new Float32Array(n));
  const normals = new Growable(new Float32Array(3072), (n) => new Float32Array(n));
  const tris = new Growable(new Uint32Array(3072), (n) => new Uint32Array(n));
  // Coarse points along each axis, and the field index step of a cell edge along each.
  const cp = [cells[0] + 1, cells[1] + 1, cells[2] + 1] as const;
  const [ux, uy, uz] = [step[0], step[1] * fx, step[2] * plane];
  const edgeVertex = new Int32Array(cp[0] * cp[1] * cp[2] * 3).fill(-1);
  const cornerOffset = [0, ux, uy, ux + uy, uz, uz + ux, uz + uy, uz + uy + ux];
  const edgeIds = new Int32Array(3);
  const grad = (p: number, out: Float64Array, o: number): void => {
    out[o] = (shade[p - 1]! - shade[p + 1]!) / 2;
    out[o + 1] = (shade[p - fx]! - shade[p + fx]!) / 2;
    out[o + 2] = (shade[p - plane]! - shade[p + plane]!) / 2;
  };
  const g = new Float64Array(6);
  const vertexOn = (edge: number, x: number, y: number, z: number): number => {
    const c = EDGE_CORNER[edge]!;
    const axis = EDGE_AXIS[edge]!;
    // Coarse point, then its full-resolution offset in the brick.
    const qx = x + (c & 1);
    const qy = y + ((c >> 1) & 1);
    const qz = z + ((c >> 2) & 1);
    const key = (qx + cp[0] * (qy + cp[1] * qz)) * 3 + axis;
    const known = edgeVertex[key]!;
    if (known >= 0) return known;
    const [px, py, pz] = [qx * step[0], qy * step[1], qz * step[2]];
    const a = px + 1 + fx * (py + 1 + fy * (pz + 1));
    const along = axis === 0 ? ux : axis === 1 ? uy : uz;
    const fa = field[a]!;
    const t = (0.5 - fa) / (field[a + along]! - fa);
    grad(a, g, 0);
    grad(a + along, g, 3);
    const nx = g[0]! + t * (g[3]! - g[0]!);
    const ny = g[1]! + t * (g[4]! - g[1]!);
    const nz = g[2]! + t * (g[5]! - g[2]!);
    const len = Math.hypot(nx, ny, nz) || 1;
    const id = positions.length / 3;
    // Padded point → voxel index: −1.
    const d = t * step[axis]!;
    positions.push3(c0[0] + px - 1 + (axis === 0 ? d : 0), c0[1] + py - 1 + (axis === 1 ? d : 0), c0[2] + pz - 1 + (axis === 2 ? d : 0));
    normals.push3(nx / len, ny / len, nz / len);
    edgeVertex[key] = id;
    return id;
  };
  for (let z = 0; z < cells[2]; z++) {
    for (let y = 0; y < cells[1]; y++) {
      const rowBase = 1 + fx * (y * step[1] + 1 + fy * (z * step[2] + 1));
      for (let x = 0; x < cells[0]; x++) {
        const base = rowBase + x * step[0];
        let index = 0;
        for (let v = 0; v < 8; v++) if (field[base + cornerOffset[v]!]! >= 0.5) index |= CORNER_BIT[v]!;
        if (index === 0 || index === 255) continue;
        const edges = CASES[index]!;
        for (let e = 0; e < edges.length; e += 3) {
          for (let n = 0; n < 3; n++) edgeIds[n] = vertexOn(edges[e + n]!, x, y, z);
          if (flip) tris.push3(edgeIds[0]!, edgeIds[2]!, edgeIds[1]!);
          else tris.push3(edgeIds[0]!, edgeIds[1]!, edgeIds[2]!);
        }
      }
    }
  }
  if (tris.length === 0) return null;
  const t = tris.trimmed();
  const polys = new Uint32Array((t.length / 3) * 4);
  for (let n = 0, o = 0; n < t.length; n += 3, o += 4) {
    polys[o] = 3;
    polys[o + 1] = t[n]!;
    polys[o + 2] = t[n + 1]!;
    polys[o + 3] = t[n + 2]!;
  }
  return { positions: positions.trimmed(), normals: normals.trimmed(), polys };
}

/** One mesh of many: vertices appended, triangle indices offset. */
export function concatMeshes(meshes: Iterable<Mesh>): Mesh {
  const list = [...meshes];
  let points = 0;
  let cells = 0;
  for (const m of list) {
    points += m.positions.length;
    cells += m.polys.length;
  }
  const positions = new Float32Array(points);
  const normals = new Float32Array(points);
  const polys = new Uint32Array(cells);
  let p = 0;
  let c = 0;
  for (const m of list) {
    positions.set(m.positions, p);
    normals.set(m.normals, p);
    const offset = p / 3;
    for (let n = 0; n < m.polys.length; n += 4) {
      polys[c + n] = 3;
      polys[c + n + 1] = m.polys[n + 1]! + offset;
      polys[c + n + 2] = m.polys[n + 2]! + offset;
      polys[c + n + 3] = m.polys[n + 3]! + offset;
    }
    p += m.positions.length;
    c += m.polys.length;
  }
  return { positions, normals, polys };
}
