/**
 * A series thumbnail from one decoded slice: area-averaged down to at most `size` pixels a side
 * (the contract's THUMBNAIL_SIZE, passed in so the worker bundle need not load zod), keeping
 * the slice's physical aspect (pixel spacing), then windowed to 8 bits.
 *
 * Invariant: `pixels` has width × height values in stored row order (the first transmitted pixel
 * first), 0 black to 255 white as the image is meant to be seen (MONOCHROME1 inverted). The
 * window is the file's first VOI window when it gives one, else the 1st to 99th percentile of
 * the thumbnail's own values, so a flat or odd-valued slice still shows its structure.
 */
import type { SeriesThumbnail } from '../../../contract/dicom.js';

export interface ThumbnailOptions {
  /** Largest side in pixels. */
  readonly size: number;
  /** [row spacing, column spacing] in mm (along j, then i); null means square pixels. */
  readonly pixelSpacing: readonly [number, number] | null;
  readonly window: { readonly center: number; readonly width: number } | null;
  readonly photometric: string;
}

/** `values`: rescaled values of a `w`×`h` image (any resolution level of the slice). */
export function makeThumbnail(values: Float32Array, w: number, h: number, o: ThumbnailOptions): SeriesThumbnail {
  const [sj, si] = o.pixelSpacing ?? [1, 1];
  const physicalW = w * si;
  const physicalH = h * sj;
  const scale = o.size / Math.max(physicalW, physicalH);
  const width = Math.max(1, Math.min(o.size, Math.round(physicalW * scale), w));
  const height = Math.max(1, Math.min(o.size, Math.round(physicalH * scale), h));

  // Area average: each thumbnail pixel is the mean of the source pixels its box covers.
  const small = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * h) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * h) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * w) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * w) / width));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += values[yy * w + xx] as number;
      small[y * width + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }

  let lo: number;
  let hi: number;
  if (o.window) {
    lo = o.window.center - o.window.width / 2;
    hi = o.window.center + o.window.width / 2;
  } else {
    const sorted = Float32Array.from(small).sort();
    lo = sorted[Math.floor(0.01 * (sorted.length - 1))] as number;
    hi = sorted[Math.ceil(0.99 * (sorted.length - 1))] as number;
  }
  const range = hi > lo ? hi - lo : 1;
  const invert = o.photometric === 'MONOCHROME1';
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const g = Math.round((((small[i] as number) - lo) / range) * 255);
    const clamped = g < 0 ? 0 : g > 255 ? 255 : g;
    pixels[i] = invert ? 255 - clamped : clamped;
  }
  return { width, height, pixels };
}
