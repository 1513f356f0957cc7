/**
 * Series previews for the picker. One image per series is decoded on the DICOM workers (a JPEG
 * 2000 frame of 512² costs ~40 ms there, a native one a few ms), so a folder of ten series has
 * all its previews in well under a second while the user reads the list.
 *
 * Invariant: a preview never fails the scan or the open; a series whose middle image cannot be
 * decoded rejects with a UserFacingError naming the file, and the picker shows that instead.
 */
import { basename } from 'node:path';
import { THUMBNAIL_SIZE, type SeriesThumbnail } from '../../../../common/contract/dicom.js';
import { UserFacingError } from '../../../../common/contract/result.js';
import type { VoxelArray } from '../../../../common/contract/volume.js';
import { dot, normal } from './orientation.js';
import { compiledOpenJpeg, runOnWorkers } from './pool.js';
import type { ScannedSeries, SliceRef } from './series.js';
import { JPEG_2000 } from './transfer-syntax.js';

/** The middle slice along the slice normal (file order when positions are missing). */
export function middleSlice(series: ScannedSeries): SliceRef {
  const slices = [...series.slices];
  const o = slices[0]?.geometry.orientation;
  if (o && slices.every((s) => s.geometry.position)) {
    const n = normal(o);
    const along = (s: SliceRef): number => dot(s.geometry.position!, n);
    slices.sort((a, b) => along(a) - along(b));
  }
  const mid = slices[Math.floor((slices.length - 1) / 2)];
  if (!mid) throw new UserFacingError('unreadable', 'The series has no images.');
  return mid;
}

export async function seriesThumbnail(series: ScannedSeries): Promise<SeriesThumbnail> {
  const slice = middleSlice(series);
  const { object, geometry } = slice;
  const openJpeg = JPEG_2000.has(object.transferSyntax) ? await compiledOpenJpeg() : undefined;
  let voxels: VoxelArray | undefined;
  let failure = '';
  const frame = { frame: geometry.frame, k: 0, slope: geometry.rescaleSlope, intercept: geometry.rescaleIntercept };
  await runOnWorkers(
    [{ type: 'decode', jobs: [{ path: object.path, frames: [frame] }], voxelType: 'float32', ...(openJpeg ? { openJpeg } : {}) }],
    (_n, reply) => {
      if (reply.type === 'slice') voxels = reply.voxels;
      if (reply.type === 'failed') failure = reply.message;
      return reply.type === 'failed' || reply.type === 'decoded';
    },
    1,
  );
  if (!voxels) throw new UserFacingError('unreadable', `No preview: ${basename(object.path)} could not be decoded${failure ? ` (${failure})` : ''}.`);
  const { rows, columns, photometric } = object.format;
  const [rowSpacing, columnSpacing] = object.pixelSpacing ?? [1, 1];
  return thumbnail(voxels, columns, rows, columnSpacing / rowSpacing, { window: object.voiWindow, invert: photometric === 'MONOCHROME1' });
}

export interface ThumbnailOptions {
  readonly window: { readonly center: number; readonly width: number } | null;
  readonly invert: boolean;
}

/**
 * An image of `columns × rows` rescaled values (row by row) into a preview: box-averaged, then
 * windowed. `aspect` is a pixel's width over its height.
 */
export function thumbnail(values: VoxelArray, columns: number, rows: number, aspect: number, o: ThumbnailOptions): SeriesThumbnail {
  const physW = columns * aspect;
  const physH = rows;
  // Shrunk to THUMBNAIL_SIZE, never enlarged along either axis: a preview has no more pixels
  // than the image.
  const scale = Math.min(THUMBNAIL_SIZE / Math.max(physW, physH), columns / physW, rows / physH);
  const width = Math.max(1, Math.round(physW * scale));
  const height = Math.max(1, Math.round(physH * scale));
  const means = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    const r0 = Math.floor((y * rows) / height);
    const r1 = Math.max(r0 + 1, Math.floor(((y + 1) * rows) / height));
    for (let x = 0; x < width; x++) {
      const c0 = Math.floor((x * columns) / width);
      const c1 = Math.max(c0 + 1, Math.floor(((x + 1) * columns) / width));
      let sum = 0;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) sum += values[r * columns + c] as number;
      means[y * width + x] = sum / ((r1 - r0) * (c1 - c0));
    }
  }
  let lo: number;
  let hi: number;
  if (o.window) {
    lo = o.window.center - o.window.width / 2;
    hi = o.window.center + o.window.width / 2;
  } else {
    const sorted = Float64Array.from(means).sort();
    lo = sorted[Math.floor(0.01 * (sorted.length - 1))]!;
    hi = sorted[Math.ceil(0.99 * (sorted.length - 1))]!;
  }
  const span = hi > lo ? hi - lo : 1;
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < means.length; i++) {
    const g = Math.round((Math.min(hi, Math.max(lo, means[i]!)) - lo) * (255 / span));
    pixels[i] = o.invert ? 255 - g : g;
  }
  return { width, height, pixels, window: o.window ? 'file' : 'percentiles' };
}
