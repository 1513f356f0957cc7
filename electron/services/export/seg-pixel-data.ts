/**
 * A DICOM SEG's Pixel Data from a label map (i fastest, slices of ni × nj), padded to even length.
 * BINARY (frames name a label value): one bit per pixel, frames back to back without padding
 * between them (as DICOM packs BitsAllocated 1), the first pixel in the least significant bit.
 * LABELMAP (frames name no value): one byte per pixel, its voxel's Segment Number (0: none).
 */
import type { Vec3 } from '../../../common/geometry.js';

export interface PixelFrame {
  /** The slice the frame covers. */
  readonly k: number;
  /** BINARY: the label value whose voxels the frame sets; LABELMAP: null. */
  readonly labelValue: number | null;
}

export function segPixelData(labels: Uint8Array, dims: Vec3, frames: readonly PixelFrame[], segmentNumberOf: Uint8Array): ArrayBuffer {
  return frames.some((f) => f.labelValue === null) ? labelmapFrames(labels, dims, frames, segmentNumberOf) : binaryFrames(labels, dims, frames);
}

function binaryFrames(labels: Uint8Array, dims: Vec3, frames: readonly PixelFrame[]): ArrayBuffer {
  const [ni, nj, nk] = dims;
  const sliceSize = ni * nj;
  const frameOf = new Int32Array(256 * nk).fill(-1);
  frames.forEach((f, n) => (frameOf[f.labelValue! * nk + f.k] = n));
  const bytes = Math.ceil((frames.length * sliceSize) / 8);
  const out = new Uint8Array(bytes + (bytes % 2));
  for (let k = 0; k < nk; k++) {
    const base = k * sliceSize;
    for (let p = 0; p < sliceSize; p++) {
      const value = labels[base + p]!;
      if (value === 0) continue;
      const bit = frameOf[value * nk + k]! * sliceSize + p;
      out[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return out.buffer;
}

function labelmapFrames(labels: Uint8Array, dims: Vec3, frames: readonly PixelFrame[], segmentNumberOf: Uint8Array): ArrayBuffer {
  const sliceSize = dims[0] * dims[1];
  const out = new Uint8Array(frames.length * sliceSize + ((frames.length * sliceSize) % 2));
  frames.forEach(({ k }, n) => {
    const slice = labels.subarray(k * sliceSize, (k + 1) * sliceSize);
    for (let p = 0; p < sliceSize; p++) out[n * sliceSize + p] = segmentNumberOf[slice[p]!]!;
  });
  return out.buffer;
}
