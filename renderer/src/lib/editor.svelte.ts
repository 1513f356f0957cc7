/**
 * Label editing in the renderer: the active tool and class, brush strokes painted locally at
 * once (so a stroke shows without waiting) and sent to main as compact index diffs, undo and
 * redo. Main is the authority: its answer says which voxels really changed (locked classes are
 * kept), and the local copy is reconciled to it. Requests go out in order, one at a time.
 */
import type { LabelChange } from '../../../electron/contract/segmentation';
import { hsam } from '../api/client';
import { diskIndices, restoreVetoed } from './brush';
import type { Vec3, VoxelAxis } from './orientation';
import type { Study } from './study.svelte';

export type Tool = 'navigate' | 'brush' | 'eraser';

export class Editor {
  tool = $state<Tool>('navigate');
  activeClass = $state(1);
  /** Brush radius in millimetres. */
  radiusMm = $state(5);
  canUndo = $state(false);
  canRedo = $state(false);
  locked = $state.raw<readonly number[]>([]);
  #queue: Promise<void> = Promise.resolve();
  #stroke = '';
  #strokes = 0;

  constructor(private readonly study: Study) {}

  /** Paint (or erase) a disk around a voxel in the plane of a view; `first` starts a new stroke. */
  paintAt(sliceAxis: VoxelAxis, ijk: Vec3, first: boolean): void {
    if (first) this.#stroke = `s${++this.#strokes}`;
    const stroke = this.#stroke;
    const meta = this.study.meta;
    const state = this.study.labels;
    if (!meta || !state || this.tool === 'navigate') return;
    const value = this.tool === 'eraser' ? 0 : this.activeClass;
    const indices = diskIndices(meta, sliceAxis, ijk, this.radiusMm);
    const before = Uint8Array.from(indices, (i) => state.labels[i]!);
    for (const i of indices) state.labels[i] = value;
    this.study.labelVersion++;
    this.#enqueue(async () => {
      const r = await hsam.labels.paint({ volumeId: meta.volumeId, indices, value, stroke });
      if (!r.ok) {
        indices.forEach((i, n) => (state.labels[i] = before[n]!));
        this.study.error = r.error.message;
      } else {
        restoreVetoed(state.labels, indices, before, r.value.indices);
        this.#apply(r.value);
      }
      this.study.labelVersion++;
    });
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
      if (!r.ok) this.study.error = r.error.message;
      else {
        this.#apply(r.value);
        this.study.labelVersion++;
      }
    });
  }

  async setLocked(classIndex: number, locked: boolean): Promise<void> {
    const meta = this.study.meta;
    if (!meta) return;
    const r = await hsam.labels.setLocked({ volumeId: meta.volumeId, classIndex, locked });
    if (r.ok) this.locked = r.value.locked;
    else this.study.error = r.error.message;
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
      if (!r.ok) {
        this.study.error = r.error.message;
        return;
      }
      if (r.value) {
        this.#apply(r.value);
        this.study.labelVersion++;
      }
    });
  }

  #apply(change: LabelChange): void {
    const state = this.study.labels;
    if (!state || state.volumeId !== change.volumeId) return;
    change.indices.forEach((i, n) => (state.labels[i] = change.values[n]!));
    change.slices.forEach((z, n) => (state.sliceStatus[z] = change.status[n]!));
    change.modelSlices.forEach((z, n) => (state.sliceModel[z] = change.modelIndex[n]!));
    this.canUndo = change.canUndo;
    this.canRedo = change.canRedo;
  }

  #enqueue(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work, work);
  }
}
