/**
 * The label surfaces of the 3D view: one vtk actor per class and chunk (a 128³ block, so an
 * edit re-uploads one block of an organ, not all of it), fed by the surface worker.
 *
 * The view says when the labels changed (the label array is edited in place and a version
 * bumped); this layer finds what changed by comparing the array with its own snapshot, sends
 * only the changed voxels to the worker, and swaps in the meshes of the classes it re-extracted.
 * One request is in flight at a time; changes arriving meanwhile are gathered into the next, so
 * a brush stroke never queues up work. A new label array (another study, a model run) is sent
 * whole. Surfaces are opaque and drawn in their class colour; hidden classes are not drawn.
 */
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import type vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import { FULL_DETAIL, type Dims, type SurfaceStep } from './surface-mesh';
import type { ClassSurface, SurfaceReply, SurfaceRequest } from './surface-protocol';
import type { VolumeMeta } from '../../../common/contract/volume';
import type { LabelStyle } from './label-layer';

/** What the last surface update took; the benchmark reads it from the view. */
export interface SurfaceUpdate {
  /** From the first label change not yet shown until the new surfaces were drawn, ms. */
  readonly ms: number;
  /** Comparing the labels with the snapshot, on the main thread, ms. */
  readonly diffMs: number;
  /** Marching cubes in the worker, ms. */
  readonly extractMs: number;
  /** Handing the meshes to vtk and rendering, ms. */
  readonly renderMs: number;
  /** Classes whose surface was re-extracted. */
  readonly classes: readonly number[];
  /** Voxels that changed (the whole volume for a full update). */
  readonly voxels: number;
  readonly bricks: number;
  /** The whole label volume was sent (new labels, or a change too large to diff). */
  readonly full: boolean;
  /** Updates so far, this one included. */
  readonly count: number;
}

export interface SurfaceLayerOptions {
  readonly renderer: vtkRenderer;
  readonly dims: Dims;
  /** Voxel index → patient (see indexToWorldMatrix). */
  readonly indexToWorld: Mat4;
  readonly render: () => void;
  readonly onupdate: (update: SurfaceUpdate) => void;
  readonly onbusy?: (busy: boolean) => void;
  /** Marching-cubes cell size (surfaceStep); full detail when absent. */
  readonly step?: SurfaceStep;
}

export interface SurfaceLayer {
  /** The label array to follow (a new array means a full update). */
  setLabels(labels: Uint8Array): void;
  /**
   * The followed array changed in place at `touched` (indices, repeats allowed), or anywhere
   * when null.
   */
  changed(touched: Uint32Array | null): void;
  /**
   * While held (brush strokes under way or just ended: the editor's strokesSettled), changes
   * gather and nothing is sent or drawn; released, the layer catches up. A run of strokes is
   * never slowed by 3D frames (seconds each with software graphics) in between.
   */
  hold(on: boolean): void;
  /**
   * Colours and hidden classes; `visible` false hides every surface, and the layer then only
   * notes what changes (no extraction, no render) until it is shown again.
   */
  setStyle(style: LabelStyle | null, visible: boolean): void;
  delete(): void;
}

/**
 * vtk.js wants the direction with each row an axis; the contract's is row-major with each
 * column an axis (ITK). Transposed, the two agree on where every voxel is.
 */

/** A column-major 4×4, as vtk actors take it. */
export type Mat4 = Extract<Parameters<vtkActor['setUserMatrix']>[0], readonly number[]>;

/** Volumes from this many voxels get coarser surfaces on a software rasteriser (512×512×32). */
export const COARSE_FROM_VOXELS = 512 * 512 * 32;

/** Cell length a software rasteriser's surfaces aim for, mm (see surfaceStep). */
export const COARSE_CELL_MM = 4;

/**
 * The surfaces' cell size for a volume: full detail on a GPU, and on a software rasteriser for
 * small volumes. A software rasteriser shares one GPU process with every view, so a 3D frame
 * holds the slice views' next frame: a full-detail abdomen of 512×512×300 (2.1 M triangles) took
 * 0.5–1.3 s a frame in SwiftShader, so the first stroke after a surface update waited that long.
 * A large volume drawn in software aims for cells of COARSE_CELL_MM, kept between its coarsest
 * spacing and twice that; each axis takes the most voxels (1, 2 or 4) that fit: the shared
 * 0.98 × 0.98 × 2 mm CT gets 4 × 4 × 2 voxels, 0.19 M triangles and ~0.1 s frames. The slice
 * views always show every voxel.
 */
export function surfaceStep(meta: Pick<VolumeMeta, 'dims' | 'spacing'>, software: boolean): SurfaceStep {
  const [nx, ny, nz] = meta.dims;
  if (!software || nx * ny * nz < COARSE_FROM_VOXELS) return FULL_DETAIL;
  const coarsest = Math.max(...meta.spacing);
  const cell = Math.min(2 * coarsest, Math.max(coarsest, COARSE_CELL_MM));
  const step = (spacing: number): number => [4, 2, 1].find((s) => s * spacing <= cell * 1.01) ?? 1;
  return [step(meta.spacing[0]), step(meta.spacing[1]), step(meta.spacing[2])];
}

/** Voxel index → patient (LPS, mm) as a column-major 4×4: origin + direction · (spacing ⊙ ijk). */
export function indexToWorldMatrix(meta: Pick<VolumeMeta, 'origin' | 'spacing' | 'direction'>): Mat4 {
  const d = meta.direction;
  const [sx, sy, sz] = meta.spacing;
  const [ox, oy, oz] = meta.origin;
  // prettier-ignore
  return [
    d[0] * sx, d[3] * sx, d[6] * sx, 0,
    d[1] * sy, d[4] * sy, d[7] * sy, 0,
    d[2] * sz, d[5] * sz, d[8] * sz, 0,
    ox, oy, oz, 1,
  ];
}

/** Above this share of changed voxels, sending the whole volume is cheaper than the diff. */
const FULL_UPDATE_SHARE = 1 / 8;

export interface LabelDiff {
  readonly indices: Uint32Array;
  readonly values: Uint8Array;
}

/**
 * The voxels where `next` differs from `snapshot`, with their new values; `snapshot` is brought
 * up to date. Null when more than `limit` differ (the snapshot is then simply overwritten).
 * Compares four voxels at a time when both arrays are 4-byte aligned.
 */
export function diffLabels(snapshot: Uint8Array, next: Uint8Array, limit: number): LabelDiff | null {
  if (snapshot.length !== next.length) throw new Error('label arrays differ in size');
  let indices = new Uint32Array(1024);
  let values = new Uint8Array(1024);
  let count = 0;
  const record = (i: number): boolean => {
    const v = next[i]!;
    if (snapshot[i] === v) return true;
    if (count >= limit) return false;
    snapshot[i] = v;
    if (count === indices.length) {
      const grownI = new Uint32Array(count * 2);
      grownI.set(indices);
      indices = grownI;
      const grownV = new Uint8Array(count * 2);
      grownV.set(values);
      values = grownV;
    }
    indices[count] = i;
    values[count++] = v;
    return true;
  };
  let start = 0;
  if (snapshot.byteOffset % 4 === 0 && next.byteOffset % 4 === 0) {
    const words = next.length >> 2;
    const a = new Int32Array(snapshot.buffer, snapshot.byteOffset, words);
    const b = new Int32Array(next.buffer, next.byteOffset, words);
    for (let w = 0; w < words; w++) {
      if (a[w] === b[w]) continue;
      const i = w << 2;
      if (!record(i) || !record(i + 1) || !record(i + 2) || !record(i + 3)) {
        snapshot.set(next);
        return null;
      }
    }
    start = words << 2;
  }
  for (let i = start; i < next.length; i++) {
    if (!record(i)) {
      snapshot.set(next);
      return null;
    }
  }
  return { indices: indices.slice(0, count), values: values.slice(0, count) };
}

/** `diffLabels` restricted to the voxels listed in `touched` (each list may repeat indices). */
export function diffAt(snapshot: Uint8Array, next: Uint8Array, touched: readonly Uint32Array[]): LabelDiff {
  let total = 0;
  for (const t of touched) total += t.length;
  const indices = new Uint32Array(total);
  const values = new Uint8Array(total);
  let count = 0;
  for (const t of touched) {
    for (let n = 0; n < t.length; n++) {
      const i = t[n]!;
      const v = next[i]!;
      if (snapshot[i] === v) continue;
      snapshot[i] = v;
      indices[count] = i;
      values[count++] = v;
    }
  }
  return { indices: indices.slice(0, count), values: values.slice(0, count) };
}

interface ClassActor {
  readonly cls: number;
  readonly actor: vtkActor;
  readonly mapper: vtkMapper;
  readonly polydata: vtkPolyData;
  normals: vtkDataArray | null;
  empty: boolean;
}

export function createSurfaceLayer(opts: SurfaceLayerOptions): SurfaceLayer {
  const worker = new Worker(new URL('./surface-worker.ts', import.meta.url), { type: 'module', name: 'label-surfaces' });
  /** (chunk × 256 + class) → actor */
  const actors = new Map<number, ClassActor>();
  // Index → patient mirrors when its determinant is negative: flip windings so fronts face out.
  const m = opts.indexToWorld;
  const det = m[0] * (m[5] * m[10] - m[9] * m[6]) - m[4] * (m[1] * m[10] - m[9] * m[2]) + m[8] * (m[1] * m[6] - m[5] * m[2]);
  const flip = det < 0;
  let style: LabelStyle | null = null;
  let visible = true;
  let labels: Uint8Array | null = null;
  let snapshot: Uint8Array | null = null;
  let needFull = false;
  /** Where the array changed since the last request; null: anywhere (compare it all). */
  let touched: Uint32Array[] | null = [];
  /** Indices in `touched`: past FULL_UPDATE_SHARE of the volume, comparing it all is cheaper. */
  let touchedCount = 0;
  let held = false;
  /** When the oldest change not yet sent happened (or the hold ended). */
  let pendingSince: number | null = null;
  let inFlight: { id: number; since: number; diffMs: number } | null = null;
  /**
   * A reply that arrived during a stroke (its request left before the stroke began): drawn when
   * the stroke's hold ends. Drawing it then would put a 3D frame (new meshes to upload; seconds
   * with software graphics, in the GPU process every view shares) in front of the stroke's frames.
   */
  let deferred: SurfaceReply | null = null;
  let nextId = 1;
  let count = 0;
  let deleted = false;

  function show(entry: ClassActor): void {
    const cls = entry.cls;
    // The segment list's per-class opacity carries over (0 hides); its global one is the slices' only.
    const alpha = style?.classOpacity?.get(cls) ?? 1;
    entry.actor.setVisibility(visible && !entry.empty && alpha > 0 && !(style?.hidden.has(cls) ?? false));
    entry.actor.getProperty().setOpacity(alpha);
    const c = style?.classes.find((k) => k.index === cls)?.color ?? [255, 0, 255];
    entry.actor.getProperty().setColor(c[0] / 255, c[1] / 255, c[2] / 255);
  }

  function classActor(cls: number, chunk: number): ClassActor {
    const key = chunk * 256 + cls;
    const known = actors.get(key);
    if (known) return known;
    const polydata = vtkPolyData.newInstance();
    const mapper = vtkMapper.newInstance({ scalarVisibility: false });
    mapper.setInputData(polydata);
    const actor = vtkActor.newInstance();
    actor.setMapper(mapper);
    actor.setUserMatrix(opts.indexToWorld);
    const p = actor.getProperty();
    p.setInterpolationToPhong();
    p.setAmbient(0.2);
    p.setDiffuse(0.75);
    p.setSpecular(0.25);
    p.setSpecularPower(25);
    opts.renderer.addActor(actor);
    const entry: ClassActor = { cls, actor, mapper, polydata, normals: null, empty: true };
    actors.set(key, entry);
    return entry;
  }

  function setSurface(entry: ClassActor, s: ClassSurface | null): void {
    const pd = entry.polydata;
    pd.getPoints().setData(s?.positions ?? new Float32Array(0), 3);
    pd.getPolys().setData(s?.polys ?? new Uint32Array(0));
    const normals = vtkDataArray.newInstance({ name: 'Normals', numberOfComponents: 3, values: s?.normals ?? new Float32Array(0) });
    pd.getPointData().setNormals(normals);
    entry.normals?.delete();
    entry.normals = normals;
    entry.empty = !s || s.polys.length === 0;
    pd.modified();
  }

  function onreply(reply: SurfaceReply): void {
    const sent = inFlight;
    if (deleted || !sent || reply.id !== sent.id) return;
    if (held) {
      deferred = reply;
      return;
    }
    const t = performance.now();
    const listed = new Set<ClassActor>();
    for (const s of reply.surfaces) {
      const entry = classActor(s.cls, s.chunk);
      listed.add(entry);
      setSurface(entry, s);
      show(entry);
    }
    if (reply.full) {
      for (const entry of actors.values()) {
        if (listed.has(entry)) continue;
        setSurface(entry, null);
        show(entry);
      }
    }
    opts.render();
    const now = performance.now();
    count++;
    inFlight = null;
    opts.onupdate({
      ms: now - sent.since,
      diffMs: sent.diffMs,
      extractMs: reply.extractMs,
      renderMs: now - t,
      classes: [...new Set(reply.surfaces.map((c) => c.cls))],
      voxels: reply.voxels,
      bricks: reply.bricks,
      full: reply.full,
      count,
    });
    pump();
  }

  /** Send what changed since the last request, unless a request is still being answered. */
  function pump(): void {
    const current = labels;
    if (deleted || inFlight || held || !visible || pendingSince === null || !current) {
      // Changes waiting for a stroke to end still count as work to do; hidden, nothing waits.
      if (!inFlight) opts.onbusy?.(held && visible && pendingSince !== null);
      return;
    }
    const since = pendingSince;
    pendingSince = null;
    const where = touched;
    touched = [];
    touchedCount = 0;
    const t = performance.now();
    let request: SurfaceRequest;
    let transfer: Transferable[];
    const diff =
      needFull || !snapshot ? null : where ? diffAt(snapshot, current, where) : diffLabels(snapshot, current, current.length * FULL_UPDATE_SHARE);
    if (diff && diff.indices.length === 0) {
      opts.onbusy?.(false);
      return;
    }
    const id = nextId++;
    if (diff) {
      request = { kind: 'changes', id, indices: diff.indices, values: diff.values };
      transfer = [diff.indices.buffer, diff.values.buffer];
    } else {
      needFull = false;
      snapshot = current.slice();
      request = { kind: 'reset', id, dims: opts.dims, labels: snapshot.slice(), flip, step: opts.step ?? FULL_DETAIL };
      transfer = [request.labels.buffer];
    }
    inFlight = { id, since, diffMs: performance.now() - t };
    opts.onbusy?.(true);
    worker.postMessage(request, transfer);
  }

  worker.onmessage = (e: MessageEvent<SurfaceReply>) => onreply(e.data);
  worker.onerror = (e) => {
    console.error(`label surface worker failed: ${e.message}`);
    inFlight = null;
  };

  return {
    setLabels(next) {
      if (next === labels) return;
      labels = next;
      needFull = true;
      pendingSince ??= performance.now();
      pump();
    },
    changed(at) {
      if (!labels) return;
      if (at === null) touched = null;
      else if (at.length > 0) {
        touched?.push(at);
        touchedCount += at.length;
        if (touchedCount > labels.length * FULL_UPDATE_SHARE) touched = null;
      } else return;
      pendingSince ??= performance.now();
      pump();
    },
    hold(on) {
      if (on || !held) {
        held = on;
        return;
      }
      held = false;
      // What is measured is the update itself, from the moment the layer may follow.
      const now = performance.now();
      if (pendingSince !== null) pendingSince = now;
      const reply = deferred;
      deferred = null;
      if (reply && inFlight) {
        inFlight.since = now;
        onreply(reply);
      } else pump();
    },
    setStyle(next, on) {
      style = next;
      const shown = on && !visible;
      visible = on;
      for (const entry of actors.values()) show(entry);
      // Shown again: catch up on what changed while hidden (timed from now, as after a stroke).
      if (shown && pendingSince !== null) {
        pendingSince = performance.now();
        pump();
      }
    },
    delete() {
      deleted = true;
      worker.terminate();
      for (const entry of actors.values()) {
        opts.renderer.removeActor(entry.actor);
        entry.actor.delete();
        entry.mapper.delete();
        entry.normals?.delete();
        entry.polydata.delete();
      }
      actors.clear();
    },
  };
}
