/**
 * Messages between the DICOM loader (main thread) and its worker threads. Objects cross by
 * structured clone; decoded frames cross as transferred buffers, never copied element by element,
 * and go back the same way once main has copied them, so a worker reuses a few buffers instead
 * of allocating one per slice; a compiled WebAssembly module crosses as a shared reference to
 * the same compiled code.
 */
import type { SeriesThumbnail } from '../../../contract/dicom.js';
import type { VoxelArray, VoxelType } from '../../../contract/volume.js';
import type { ImageObject, OtherObject, PixelFormat } from './dataset.js';
import type { WasmModule } from './wasm.js';

export interface ScanRequest {
  readonly type: 'scan';
  readonly files: readonly string[];
}

/** What the worker needs to find and decode a file's frames, all known from the scan. */
export interface PixelSource {
  readonly path: string;
  readonly transferSyntax: string;
  readonly format: PixelFormat;
  /** Frames in the file (the pixel data holds all of them). */
  readonly frameCount: number;
}

/** One file's frames to decode, each with the k index it lands at and its rescale. */
export interface DecodeJob extends PixelSource {
  readonly frames: readonly { readonly frame: number; readonly k: number; readonly slope: number; readonly intercept: number }[];
}

export interface DecodeRequest {
  readonly type: 'decode';
  readonly jobs: readonly DecodeJob[];
  /** The volume's voxel type: slices arrive rescaled and in this type, ready to copy. */
  readonly voxelType: VoxelType;
  /** OpenJPEG compiled by the main thread (pool.ts), when the jobs hold JPEG 2000. */
  readonly openJpeg?: WasmModule;
}

/** The middle slice of one series, to be made into its thumbnail. */
export interface ThumbnailJob extends PixelSource {
  /** Index of the series in the scan's list, echoed in the reply. */
  readonly series: number;
  readonly frame: number;
  readonly slope: number;
  readonly intercept: number;
  readonly window: ImageObject['window'];
  readonly pixelSpacing: ImageObject['pixelSpacing'];
}

export interface ThumbnailRequest {
  readonly type: 'thumbnails';
  readonly jobs: readonly ThumbnailJob[];
  /** Largest side in pixels (the contract's THUMBNAIL_SIZE). */
  readonly size: number;
  readonly openJpeg?: WasmModule;
}

export type WorkerRequest = ScanRequest | DecodeRequest | ThumbnailRequest;

/** Not a request (no reply): a slice buffer main has copied, handed back for reuse. */
export interface RecycleMessage {
  readonly type: 'recycle';
  readonly buffer: ArrayBuffer;
}

export type ToWorker = WorkerRequest | RecycleMessage;

export type WorkerReply =
  | { readonly type: 'progress'; readonly done: number }
  /** A scan met its first image in this transfer syntax: main may start compiling its codec. */
  | { readonly type: 'syntax'; readonly transferSyntax: string }
  | {
      readonly type: 'scanned';
      readonly images: ImageObject[];
      readonly others: OtherObject[];
      readonly unreadable: { file: string; reason: string }[];
    }
  /** Slice k, rescaled, of the request's voxel type. */
  | { readonly type: 'slice'; readonly k: number; readonly voxels: VoxelArray }
  | { readonly type: 'decoded' }
  /** null: that slice could not be decoded; the series is listed without a thumbnail. */
  | { readonly type: 'thumbnail'; readonly series: number; readonly thumbnail: SeriesThumbnail | null }
  | { readonly type: 'thumbnails-done' }
  | { readonly type: 'failed'; readonly path: string; readonly message: string };
