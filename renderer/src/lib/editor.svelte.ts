/**
 * Label editing in the renderer: the active tool and class, brush strokes painted locally at
 * once (so a stroke shows without waiting) and sent to main as compact index diffs, the
 * correction tools (threshold-limited brush, region grow, scissors, per-class fill holes,
 * islands, interpolation, revert) sent as small `LabelTool` descriptions, undo and redo. Main
 * is the authority: its answer says which voxels really changed (locked classes are kept), and
 * the local copy is reconciled to it. Requests go out in order, one at a time. Only the brush
 * paints optimistically (with the same paint-over rule and editable range main applies): the
 * other tools' voxels depend on main's image and rules, so their answer is what is shown.
 *
 * Every setting tool obeys the shared rules: the paint-over rule (default 'nothing': no other
 * organ is overwritten) and, with "Editable range" (T), the intensity range outside which no
 * voxel changes. Region grow, scissors, fill between slices and the 3D helpers show a preview
 * first (tool-preview.svelte.ts): Enter applies it as one undo step, Escape drops it.
 */
import type { LabelTool, PaintOver, SegmentStatistics } from '../../../common/contract/label-tools';
import { keepEditable, keepOverwritable, paintOverMask } from '../../../common/paint-over';
import { hsam } from '../api/client';
import { FOOTPRINTS, vetoed, type BrushShape } from './brush';
import { SETTLE_MS } from './stroke-settle';
import { interpolationSlices, parseRange, seedRange, tidyPolygon, windowRange, type Range, type Uv } from './label-tools';
import type { Plane, Vec3, VoxelAxis } from './orientation';
import type { Study } from './study.svelte';
import { ToolPreview } from './tool-preview.svelte';

/** Tool kinds that take the shared rules (islands and revert only ever remove or restore). */
const RULED = new Set<LabelTool['kind']>(['threshold-paint', 'region-grow', 'scissors', 'fill-holes', 'interpolate', 'fill-between', 'smooth', 'margin', 'logical']);

export type SmoothMethod = 'median' | 'opening' | 'closing';
export type LogicalOp = 'union' | 'subtract' | 'intersect';

/**
 * The active tool: the first four only look (no edit), brush and eraser paint, grow seeds a
 * region grow with a click, scissors clicks a polygon.
 */
export type Tool = 'navigate' | 'windowLevel' | 'zoom' | 'pan' | 'brush' | 'eraser' | 'grow' | 'scissors';

export const isPaintTool = (t: Tool): t is 'brush' | 'eraser' => t === 'brush' || t === 'eraser';

/** A scissors polygon being clicked in one view's slice. */
export interface Polygon {
  readonly plane: Plane;
  readonly axis: VoxelAxis;
  readonly slice: number;
  /** Vertices in the slice's (u, v) voxel coordinates. */
  readonly points: readonly Uv[];
}

/** Where a 2D per-class operation works: the axial view's slice, or the whole volume. */
export type Scope = 'slice' | 'volume';

export class Editor {
  tool = $state<Tool>('navigate');
  activeClass = $state(1);
  /** Brush radius in millimetres. */
  radiusMm = $state(5);
  /** A 2D disk in the view's slice, or a 3D sphere that reaches the neighbouring slices. */
  shape = $state<BrushShape>('disk');
  /**
   * No stroke under way and none for SETTLE_MS: what follows whole strokes away from the painted
   * view (the 3D surfaces, the side panel, the slice status strip) catches up now. Strokes in quick succession
   * (touching up an edge) do not pay that page repaint between them, where it held the next
   * stroke's first frames.
   */
  strokesSettled = $state(true);
  #settle: ReturnType<typeof setTimeout> | undefined;

  /** Which classes a paint may overwrite, for every tool (ITK-SNAP's "paint over"). */
  paintOver = $state.raw<PaintOver>('nothing');
  /** The editable intensity range is on: no tool changes a voxel outside `activeRange` (main filters). */
  limitToRange = $state(false);
  /** The editable range when set; null follows the window (level ± width / 2). */
  range = $state.raw<Range | null>(null);
  /** The tool preview awaiting Enter or Escape. */
  readonly preview = new ToolPreview();
  /** The last region grow's seed, kept so a new tolerance re-grows from it. */
  growSeed = $state.raw<{ axis: VoxelAxis; ijk: Vec3; value: number } | null>(null);
  smoothMethod = $state<SmoothMethod>('median');
  smoothRadiusMm = $state(3);
  marginMm = $state(3);
  logicalOp = $state<LogicalOp>('union');
  logicalOther = $state(1);
  /** Region grow: in 3D (6-connected) rather than the clicked view's slice. */
  grow3d = $state(false);
  /** Region grow tolerance around the seed value; null: an eighth of the window width. */
  tolerance = $state<number | null>(null);
  /** Region grow only through unlabelled voxels. */
  growIntoBackground = $state(false);
  /** Scissors: erase labelled voxels, or fill with the active class. */
  scissorsFill = $state(false);
  scissorsSide = $state<'inside' | 'outside'>('inside');
  scissorsThrough = $state<Scope>('slice');
  polygon = $state.raw<Polygon | null>(null);
  /** Fill holes and remove islands: the axial slice, or in 3D. */
  classScope = $state<Scope>('slice');
  islandMode = $state<'smaller-than' | 'all-but-largest'>('smaller-than');
  islandMinVoxels = $state(50);

  /** The effective intensity range of the brush limit and the grow's "use range" option. */
  readonly activeRange: Range = $derived.by(() => this.range ?? windowRange(this.study.windowLevel));
  readonly effectiveTolerance: number = $derived.by(() => this.tolerance ?? Math.max(1, Math.round(this.study.windowLevel.width / 8)));
  /** Main's status axis (the axial one): per-class slice operations work in it. */
  readonly axialAxis: VoxelAxis = $derived.by(() => this.study.labels?.statusAxis ?? 2);
  /**
   * Interpolation slices around the axial slice: the nearest below and above holding the active
   * class. Writable: the panel's inputs override it until the labels, slice or class change.
   */
  readonly #suggested = $derived.by(() => this.#interpolation());
  interpolateFrom: number | null = $derived.by(() => this.#suggested.from);
  interpolateTo: number | null = $derived.by(() => this.#suggested.to);

  #queue: Promise<void> = Promise.resolve();
  /** Counts preview requests: only the newest one's answer is shown. */
  #previews = 0;
  #stroke = '';
  #strokes = 0;

  constructor(private readonly study: Study) {}

  /** Undo state and locks belong to the open study (a new study starts with its own). */
  get canUndo(): boolean {
    return this.study.canUndo;
  }

  get canRedo(): boolean {
    return this.study.canRedo;
  }

  get locked(): readonly number[] {
    return this.study.locked;
  }

  /** Bumped on every label change (statistics follow it). */
  get labelVersion(): number {
    return this.study.labelVersion;
  }

  /** Segment statistics from main (volume, mean/SD intensity, extent per class); null without labels. */
  async statistics(): Promise<readonly SegmentStatistics[] | null> {
    const meta = this.study.meta;
    if (!meta || !this.study.labels) return null;
    const r = await hsam.labels.statistics({ volumeId: meta.volumeId });
    if (r.ok) return r.value.segments;
    this.study.report(r.error);
    return null;
  }

  /** Paint (or erase) the brush footprint around a voxel of a view; `first` starts a new stroke. */
  paintAt(sliceAxis: VoxelAxis, ijk: Vec3, first: boolean): void {
    if (first) this.#stroke = `s${++this.#strokes}`;
    const stroke = this.#stroke;
    const meta = this.study.meta;
    const volume = this.study.volume;
    const image = this.study.voxels;
    if (!meta || !volume || !image || !isPaintTool(this.tool)) return;
    if (first) {
      this.strokesSettled = false;
      clearTimeout(this.#settle);
      this.cancelPreview();
    }
    const value = this.tool === 'eraser' ? 0 : this.activeClass;
    const rules = this.#rules();
    const footprint = FOOTPRINTS[this.shape](meta, sliceAxis, ijk, this.radiusMm);
    // Painted at once with main's own rule; main's answer still decides (a class may be locked).
    const allowed = keepOverwritable(footprint, volume.labels, paintOverMask(rules.paintOver, value));
    const indices = rules.editable ? keepEditable(allowed, image, rules.editable) : allowed;
    if (indices.length === 0) return;
    const before = Uint8Array.from(indices, (i) => volume.labels[i]!);
    if (volume.write(indices, value) > 0) this.study.labelVersion++;
    this.#enqueue(async () => {
      const r = await hsam.labels.paint({ volumeId: meta.volumeId, indices, value, stroke, ...rules });
      if (!r.ok) {
        if (volume.write(indices, before) > 0) this.study.labelVersion++;
        this.study.report(r.error);
      } else {
        const back = vetoed(indices, before, r.value.indices);
        this.study.applyChange(r.value, volume.write(back.indices, back.values) > 0);
      }
    });
  }

  /** The shared rules every setting tool carries: paint-over, and the editable range when on. */
  #rules(): { paintOver: PaintOver; editable?: [number, number] } {
    return { paintOver: this.paintOver, ...(this.limitToRange ? { editable: [this.activeRange[0], this.activeRange[1]] as [number, number] } : {}) };
  }

  #withRules(tool: LabelTool): LabelTool {
    return RULED.has(tool.kind) ? ({ ...this.#rules(), ...tool }) : tool;
  }

  /**
   * The pointer that painted was released: what waits for whole strokes (the 3D surfaces, the
   * side panel) catches up unless another stroke begins within SETTLE_MS.
   */
  endStroke(): void {
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => (this.strokesSettled = true), SETTLE_MS);
  }

  toggleShape(): void {
    this.shape = this.shape === 'disk' ? 'sphere' : 'disk';
  }

  /** S: the 2D/3D switch of the active tool (brush disk or sphere, grow, scissors through). */
  toggleDimension(): void {
    if (this.tool === 'grow') this.grow3d = !this.grow3d;
    else if (this.tool === 'scissors') this.scissorsThrough = this.scissorsThrough === 'slice' ? 'volume' : 'slice';
    else this.toggleShape();
  }

  /** Set the brush limit's bounds (typed values); a reversed or empty pair is refused. */
  setRange(lo: number, hi: number): boolean {
    const r = parseRange(lo, hi);
    if (r) this.range = r;
    return r !== null;
  }

  /** Run a correction tool in main as one undoable step and mirror what it changed. */
  applyTool(tool: LabelTool): void {
    const meta = this.study.meta;
    if (!meta) return;
    const t = this.#withRules(tool);
    this.#enqueue(async () => {
      const r = await hsam.labels.apply({ volumeId: meta.volumeId, tool: t });
      if (r.ok) this.study.applyChange(r.value);
      else this.study.report(r.error);
    });
  }

  /** Ask main what a tool would change and show it; Enter applies it, Escape drops it. */
  previewTool(tool: LabelTool): void {
    const meta = this.study.meta;
    if (!meta) return;
    const t = this.#withRules(tool);
    const asked = ++this.#previews;
    this.#enqueue(async () => {
      const r = await hsam.labels.preview({ volumeId: meta.volumeId, tool: t });
      // A newer preview (a tolerance typed meanwhile) or another study supersedes this one.
      if (asked !== this.#previews || this.study.meta?.volumeId !== meta.volumeId) return;
      if (!r.ok) {
        this.preview.clear();
        this.study.report(r.error);
      } else this.preview.show(meta, this.axialAxis, t, r.value.indices, r.value.values);
    });
  }

  /** Enter: apply the previewed tool as one undo step; false when there was no preview. */
  commitPreview(): boolean {
    this.#previews++;
    // A preview of another study (opened meanwhile) is dropped, never applied to this one.
    const mine = this.preview.isFor(this.study.meta?.volumeId);
    const t = this.preview.clear();
    this.growSeed = null;
    if (!t || !mine) return false;
    this.applyTool(t);
    return true;
  }

  /** Escape: drop the preview; false when there was none. */
  cancelPreview(): boolean {
    this.#previews++;
    this.growSeed = null;
    return this.preview.clear() !== null;
  }

  /** Region grow from a clicked voxel (value: its intensity) with the active class: a preview, seed kept. */
  growAt(sliceAxis: VoxelAxis, ijk: Vec3, seedValue: number): void {
    if (!this.study.meta) return;
    this.growSeed = { axis: sliceAxis, ijk, value: seedValue };
    this.#previewGrow();
  }

  /** A new tolerance (typed or dragged): the grow's preview follows from the same seed. */
  setTolerance(t: number | null): void {
    this.tolerance = t;
    if (this.growSeed && this.preview.tool?.kind === 'region-grow') this.#previewGrow();
  }

  #previewGrow(): void {
    const s = this.growSeed;
    if (!s) return;
    this.previewTool({
      kind: 'region-grow',
      seed: [s.ijk[0], s.ijk[1], s.ijk[2]],
      value: this.activeClass,
      range: [...seedRange(s.value, this.effectiveTolerance)],
      ...(this.grow3d ? {} : { axis: s.axis }),
      ...(this.growIntoBackground ? { within: 0 } : {}),
    });
  }

  /** Fill between slices: every axial slice holding the active class is a key slice (a preview). */
  fillBetween(): void {
    this.previewTool({ kind: 'fill-between', classIndex: this.activeClass, axis: this.axialAxis });
  }

  /** Smooth the active class in 3D (median, opening or closing; a preview). */
  smooth(): void {
    this.previewTool({ kind: 'smooth', classIndex: this.activeClass, method: this.smoothMethod, radiusMm: Math.min(50, Math.max(0.1, this.smoothRadiusMm)) });
  }

  /** Grow (> 0) or shrink (< 0) the active class by `marginMm` (a preview). */
  margin(sign: 1 | -1): void {
    const mm = Math.min(100, Math.max(0.1, Math.abs(this.marginMm)));
    this.previewTool({ kind: 'margin', classIndex: this.activeClass, mm: sign * mm });
  }

  /** Keep only the active class's largest 3D island (a preview). */
  keepLargest(): void {
    this.previewTool({ kind: 'islands', classIndex: this.activeClass, mode: 'all-but-largest' });
  }

  /** Combine the active class with another (union, subtract, intersect; a preview). */
  logical(): void {
    if (this.logicalOther === this.activeClass) {
      this.study.error = 'Logical operators: pick another class than the active one.';
      return;
    }
    this.previewTool({ kind: 'logical', classIndex: this.activeClass, op: this.logicalOp, other: this.logicalOther });
  }

  /** A scissors click in a view's slice; a click in another view or slice starts over there. */
  addPolygonPoint(plane: Plane, axis: VoxelAxis, slice: number, uv: Uv): void {
    const p = this.polygon;
    const same = p !== null && p.plane === plane && p.slice === slice;
    this.polygon = { plane, axis, slice, points: same ? [...p.points, uv] : [uv] };
  }

  /** Enter or double-click: preview the cut (or fill) with the polygon; fewer than three points cancel it. */
  closePolygon(): void {
    const p = this.polygon;
    this.polygon = null;
    if (!p) return;
    const points = tidyPolygon(p.points);
    if (!points) {
      // A double-click alone (two clicks on one spot) is no attempt at a polygon: no message.
      if (p.points.length >= 3) this.study.error = 'Scissors: click at least three points around the region, then press Enter or double-click.';
      return;
    }
    this.previewTool({
      kind: 'scissors',
      axis: p.axis,
      slice: p.slice,
      points: points.map(([u, v]) => [u, v] as [number, number]),
      side: this.scissorsSide,
      value: this.scissorsFill ? this.activeClass : 0,
      through: this.scissorsThrough,
    });
  }

  /** Escape: drop the polygon being clicked; false when there was none. */
  cancelPolygon(): boolean {
    const had = this.polygon !== null;
    this.polygon = null;
    return had;
  }

  /** Fill the holes of the active class (in the axial slice, or enclosed in 3D). */
  fillHoles(): void {
    this.applyTool({ kind: 'fill-holes', classIndex: this.activeClass, ...this.#plane() });
  }

  /** Erase the active class's small components (or all but the largest). */
  removeIslands(): void {
    const minVoxels = Math.max(1, Math.round(this.islandMinVoxels));
    this.applyTool({
      kind: 'islands',
      classIndex: this.activeClass,
      mode: this.islandMode,
      ...(this.islandMode === 'smaller-than' ? { minVoxels } : {}),
      ...this.#plane(),
    });
  }

  /** Interpolate the active class between two axial slices (the panel's, or the suggestion). */
  interpolate(): void {
    const from = this.interpolateFrom;
    const to = this.interpolateTo;
    if (from === null || to === null || to - from < 2) {
      this.study.error = 'Interpolate: needs two axial slices with the class and at least one slice between them.';
      return;
    }
    this.applyTool({ kind: 'interpolate', classIndex: this.activeClass, axis: this.axialAxis, from, to });
  }

  /** Put the active class on the axial slice back to the model's proposal. */
  revert(): void {
    this.applyTool({ kind: 'revert', classIndex: this.activeClass, axis: this.axialAxis, slice: this.study.slices.axial });
  }

  #plane(): { plane?: { axis: VoxelAxis; slice: number } } {
    return this.classScope === 'slice' ? { plane: { axis: this.axialAxis, slice: this.study.slices.axial } } : {};
  }

  #interpolation(): { from: number | null; to: number | null } {
    void this.study.labelVersion;
    const { meta, volume } = this.study;
    if (!meta || !volume || volume.axis !== this.axialAxis) return { from: null, to: null };
    const cls = this.activeClass;
    return interpolationSlices((s) => volume.hasClass(s, cls), meta.dims[this.axialAxis], this.study.slices.axial);
  }

  undo(): void {
    this.#history('undo');
  }

  redo(): void {
    this.#history('redo');
  }

  /** Mark slices (status axis) reviewed: model runs then leave them alone. */
  markReviewed(slices: readonly number[]): void {
    const meta = this.study.meta;
    if (!meta || slices.length === 0) return;
    this.#enqueue(async () => {
      const r = await hsam.labels.setSliceStatus({ volumeId: meta.volumeId, slices: [...slices], status: 'reviewed' });
      if (r.ok) this.study.applyChange(r.value);
      else this.study.report(r.error);
    });
  }

  async setLocked(classIndex: number, locked: boolean): Promise<void> {
    const meta = this.study.meta;
    if (!meta) return;
    const r = await hsam.labels.setLocked({ volumeId: meta.volumeId, classIndex, locked });
    if (r.ok) {
      if (this.study.meta?.volumeId === meta.volumeId) this.study.locked = r.value.locked;
    } else this.study.report(r.error);
  }

  /** Wait for every edit sent so far to be acknowledged (journaled) by main. */
  settled(): Promise<void> {
    return this.#queue;
  }

  #history(which: 'undo' | 'redo'): void {
    const meta = this.study.meta;
    if (!meta) return;
    this.#enqueue(async () => {
      const r = await hsam.labels[which]({ volumeId: meta.volumeId });
      if (!r.ok) this.study.report(r.error);
      else if (r.value) this.study.applyChange(r.value);
    });
  }

  #enqueue(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work, work);
  }
}
