/**
 * The viewer's own state, shared by the three slice views: the linked crosshair (where the
 * views' slices cross, and whether it is drawn), which view is maximized or last pointed at, the
 * grid split, a counter that resets every view's zoom and pan, and the window presets of the
 * open volume (computed once per volume). Zoom and pan themselves belong to each view.
 */
import { crosshairIndex, slicesThrough } from './crosshair';
import { clampSplit } from './layout';
import { viewGeometry, type Plane, type Vec3 } from './orientation';
import type { Study } from './study.svelte';
import { windowPresets, type WindowPreset } from './window-level';

export class Viewer {
  /** Draw the crosshair lines. */
  crosshair = $state(true);
  maximized = $state<Plane | '3d' | null>(null);
  /** The view the pointer was last in (a slice view or the 3D view): M maximizes it. */
  active = $state<Plane | '3d'>('axial');
  /** Bumped to put every view back to its fitted zoom and pan. */
  fitVersion = $state(0);
  /** Fraction of the grid's width (height) taken by the first column (row). */
  columns = $state(0.5);
  rows = $state(0.5);

  /** Window presets of the open volume: CT windows, or percentiles of its voxels. */
  readonly presets: readonly WindowPreset[] = $derived.by(() => {
    const { meta, voxels } = this.study;
    return meta && voxels ? windowPresets(meta, voxels) : [];
  });

  /** The voxel where the three views' slices cross. */
  readonly crosshairIjk: Vec3 | null = $derived.by(() => (this.study.meta ? crosshairIndex(this.study.meta, this.study.slices) : null));

  /** Review status per axial slice, when the status is kept along the axial view's axis (normally k). */
  readonly axialStatus: Uint8Array | null = $derived.by(() => {
    const { meta, labels } = this.study;
    return meta && labels && labels.statusAxis === viewGeometry(meta.direction, 'axial').sliceAxis ? labels.sliceStatus : null;
  });

  constructor(private readonly study: Study) {}

  /** A click in one view: the other two views move to the slices through that voxel. */
  navigate(from: Plane, ijk: Vec3): void {
    const meta = this.study.meta;
    if (!meta) return;
    for (const [plane, s] of Object.entries(slicesThrough(meta, ijk, from)) as [Plane, number][]) {
      if (this.study.slices[plane] !== s) this.study.slices[plane] = s;
    }
  }

  toggleMaximize(plane: Plane | '3d' = this.active): void {
    this.maximized = this.maximized === null ? plane : null;
  }

  applyPreset(id: string): void {
    const p = this.presets.find((k) => k.id === id);
    if (p) this.study.windowLevel = { width: p.width, level: p.level };
  }

  setSplit(which: 'columns' | 'rows', f: number): void {
    this[which] = clampSplit(f);
  }

  /** The viewer's keys: X crosshair, M maximize, F fit all views, 1–9 window presets. */
  onkey(key: string): boolean {
    if (key === 'x') this.crosshair = !this.crosshair;
    else if (key === 'm') this.toggleMaximize();
    else if (key === 'f') this.fitVersion++;
    else if (/^[1-9]$/.test(key) && this.presets[Number(key) - 1]) this.applyPreset(this.presets[Number(key) - 1]!.id);
    else return false;
    return true;
  }
}
