/**
 * Shared by main (which enforces it) and the renderer (which paints a brush dab ahead of main's
 * answer with the same rule, so what shows at once is what main will keep).
 *
 * The paint-over rule every setting tool shares (issue 17): which current classes a tool may
 * overwrite. Applied in main, after the tool has chosen its voxels, so no caller can bypass it.
 *
 * - 'nothing' (default): a paint never replaces another organ — background and the painted
 *   class pass; an erase removes only the class `label` names, else any class (as before).
 * - 'background': only background voxels.
 * - 'all': any voxel.
 * - { label }: only background and voxels of that class (e.g. repaint spleen over liver).
 */
import type { PaintOver } from './contract/label-tools.js';
import type { VoxelArray } from './contract/volume.js';

/** Per current class 0–255: 1 when a tool writing `value` may overwrite it under `rule`. */
export function paintOverMask(rule: PaintOver | undefined, value: number): Uint8Array {
  const r = rule ?? 'nothing';
  const ok = new Uint8Array(256);
  if (r === 'all') ok.fill(1);
  else if (r === 'background') ok[0] = 1;
  else if (r === 'nothing') {
    if (value === 0) ok.fill(1);
    else ok[0] = ok[value] = 1;
  } else {
    ok[r.label] = 1;
    if (value !== 0) ok[0] = ok[value] = 1;
  }
  return ok;
}

/** The indices whose current class the mask lets through, in order. */
export function keepOverwritable<B extends ArrayBufferLike>(indices: Uint32Array<B>, labels: Uint8Array, mask: Uint8Array): Uint32Array<B> | Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(indices.length);
  let m = 0;
  for (let n = 0; n < indices.length; n++) {
    const i = indices[n]!;
    if (mask[labels[i]!] === 1) out[m++] = i;
  }
  return m === indices.length ? indices : out.slice(0, m);
}

/** The indices whose intensity lies in the editable range [lo, hi] (inclusive), in order. */
export function keepEditable<B extends ArrayBufferLike>(indices: Uint32Array<B>, image: VoxelArray, range: readonly [number, number]): Uint32Array<B> | Uint32Array<ArrayBuffer> {
  const [lo, hi] = range;
  const out = new Uint32Array(indices.length);
  let m = 0;
  for (let n = 0; n < indices.length; n++) {
    const x = image[indices[n]!] as number;
    if (x >= lo && x <= hi) out[m++] = indices[n]!;
  }
  return m === indices.length ? indices : out.slice(0, m);
}
