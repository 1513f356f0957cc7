/** The voxel under the pointer, for the cursor readout. */
import type { LabelVolume } from './label-volume';
import type { Vec3 } from './orientation';

export interface Hover {
  /** Integer voxel index. */
  readonly ijk: Vec3;
  /** Patient position of the pointer on the slice plane (LPS, mm). */
  readonly world: Vec3;
  readonly value: number;
}

/** `[i, j, k]  (x, y, z) mm  value`, with HU as the unit for CT. */
export function formatHover(h: Hover, hounsfield: boolean): string {
  const unit = hounsfield ? ' HU' : '';
  const mm = h.world.map((v) => v.toFixed(1)).join(', ');
  const value = Number.isInteger(h.value) ? String(h.value) : h.value.toPrecision(5);
  return `[${h.ijk.join(', ')}]  (${mm}) mm  ${value}${unit}`;
}

/**
 * The class under the hovered voxel by name ('background' for 0, `class n` when the model does
 * not name it), or null without labels. `version` is read so a caller re-derives after edits.
 */
export function labelName(h: Hover | null, volume: LabelVolume | null, version: number, classes: readonly { index: number; name: string }[]): string | null {
  void version;
  if (!h || !volume) return null;
  const [nx, ny, nz] = volume.dims;
  const [i, j, k] = h.ijk;
  if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return null;
  const c = volume.labels[i + nx * (j + ny * k)]!;
  if (c === 0) return 'background';
  return (classes.find((x) => x.index === c)?.name ?? `class ${c}`).replaceAll('_', ' ');
}
