/**
 * Segment statistics per class (3D Slicer's Segment Statistics, ITK-SNAP's label statistics):
 * voxel count, volume in mL, mean and standard deviation of the image intensity (population
 * SD, in the volume's units after rescale: HU for CT) and the bounding box with its extent in
 * mm. One pass over the volume; classes with no voxel are left out.
 */
import type { SegmentStatistics } from '../../../common/contract/label-tools.js';
import type { VoxelArray } from '../../../common/contract/volume.js';

export function segmentStatistics(dims: readonly [number, number, number], spacing: readonly [number, number, number], image: VoxelArray, labels: Uint8Array): SegmentStatistics[] {
  const [nx, ny, nz] = dims;
  const count = new Float64Array(256);
  const sum = new Float64Array(256);
  const sum2 = new Float64Array(256);
  const lo = new Int32Array(256 * 3).fill(2 ** 30);
  const hi = new Int32Array(256 * 3).fill(-1);
  for (let k = 0, i = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let x = 0; x < nx; x++, i++) {
        const c = labels[i]!;
        if (c === 0) continue;
        const v = image[i] as number;
        count[c]!++;
        sum[c]! += v;
        sum2[c]! += v * v;
        const b = 3 * c;
        if (x < lo[b]!) lo[b] = x;
        if (x > hi[b]!) hi[b] = x;
        if (j < lo[b + 1]!) lo[b + 1] = j;
        if (j > hi[b + 1]!) hi[b + 1] = j;
        if (k < lo[b + 2]!) lo[b + 2] = k;
        if (k > hi[b + 2]!) hi[b + 2] = k;
      }
    }
  }
  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  const out: SegmentStatistics[] = [];
  for (let c = 1; c < 256; c++) {
    const n = count[c]!;
    if (n === 0) continue;
    const mean = sum[c]! / n;
    const b = 3 * c;
    const min = [lo[b]!, lo[b + 1]!, lo[b + 2]!] as const;
    const max = [hi[b]!, hi[b + 1]!, hi[b + 2]!] as const;
    out.push({
      classIndex: c,
      voxels: n,
      volumeMl: n * voxelMl,
      meanIntensity: mean,
      sdIntensity: Math.sqrt(Math.max(0, sum2[c]! / n - mean * mean)),
      min,
      max,
      extentMm: [0, 1, 2].map((d) => (max[d]! - min[d]! + 1) * spacing[d]!) as unknown as [number, number, number],
    });
  }
  return out;
}
