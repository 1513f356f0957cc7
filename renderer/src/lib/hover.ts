/** The voxel under the pointer, for the cursor readout. */
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
