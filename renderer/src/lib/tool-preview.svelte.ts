/**
 * A correction tool's preview (issue 17): what main says the tool would change, held until
 * Enter applies it (the same tool description, sent with `labels.apply`: one undo step) or
 * Escape drops it. The candidate voxels live in a label volume of their own, drawn hatched
 * over the labels: 1 where a voxel would get a class, 2 where it would be erased. Nothing
 * here changes the labels.
 */
import type { LabelTool } from '../../../common/contract/label-tools';
import type { VolumeMeta } from '../../../common/contract/volume';
import { LabelVolume } from './label-volume';
import type { LabelClass } from './label-style';
import type { VoxelAxis } from './orientation';

/** The preview's two "classes": set (amber) and erase (red), both drawn hatched and opaque. */
export const PREVIEW_CLASSES: readonly LabelClass[] = [
  { index: 1, name: 'would be set', color: [255, 210, 74] },
  { index: 2, name: 'would be erased', color: [255, 64, 64] },
];

export class ToolPreview {
  /** The tool whose preview is shown; null: none. */
  tool = $state.raw<LabelTool | null>(null);
  /** Voxels the tool would set, and erase. */
  added = $state(0);
  removed = $state(0);
  /** Bumped when the preview volume changed in place. */
  version = $state(0);
  volume = $state.raw<LabelVolume | null>(null);
  #shown: Uint32Array = new Uint32Array(0);
  #volumeId = $state('');

  /** Show what `tool` would change: `indices` and their classes after (0: erased). */
  show(meta: VolumeMeta, axis: VoxelAxis, tool: LabelTool, indices: Uint32Array, values: Uint8Array): void {
    const v = this.#volumeFor(meta, axis);
    v.write(this.#shown, 0);
    const marks = Uint8Array.from(values, (x) => (x === 0 ? 2 : 1));
    v.write(indices, marks);
    this.#shown = indices;
    this.added = marks.reduce((n, m) => n + (m === 1 ? 1 : 0), 0);
    this.removed = indices.length - this.added;
    this.tool = tool;
    this.version++;
  }

  /** The preview volume when it belongs to this study (another study's has other dimensions); else null. */
  volumeOf(volumeId: string | undefined): LabelVolume | null {
    return volumeId !== undefined && volumeId === this.#volumeId ? this.volume : null;
  }

  /** Whether the pending preview was computed on this study. */
  isFor(volumeId: string | undefined): boolean {
    return this.tool !== null && volumeId === this.#volumeId;
  }

  /** Drop the preview; returns the tool it showed (to apply), or null. */
  clear(): LabelTool | null {
    const t = this.tool;
    this.volume?.write(this.#shown, 0);
    this.#shown = new Uint32Array(0);
    this.tool = null;
    this.added = this.removed = 0;
    this.version++;
    return t;
  }

  #volumeFor(meta: VolumeMeta, axis: VoxelAxis): LabelVolume {
    const [nx, ny, nz] = meta.dims;
    if (!this.volume || this.#volumeId !== meta.volumeId) {
      this.volume = new LabelVolume(new Uint8Array(nx * ny * nz), meta.dims, axis);
      this.#volumeId = meta.volumeId;
      this.#shown = new Uint32Array(0);
    }
    return this.volume;
  }
}
