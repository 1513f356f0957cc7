/** The eight Synapse organs the demo model segments, from TotalSegmentator's reference labels. */
import type { VoxelArray } from '../electron/contract/volume.js';

/** TotalSegmentator `total` index → demo model class (shared/data README). */
export const TOTAL_TO_MODEL: Readonly<Record<number, number>> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 52: 7, 7: 8 };

/** A `total` label map as the demo model's classes (everything else background). */
export function toModelClasses(total: VoxelArray): Uint8Array {
  return Uint8Array.from(total, (v) => TOTAL_TO_MODEL[v] ?? 0);
}
