/**
 * Messages between the DICOM loader (main thread) and its worker threads. Objects cross by
 * structured clone; decoded frames cross as transferred buffers, never copied element by element;
 * a compiled WebAssembly module crosses as a shared reference to the same compiled code.
 */
import type { VoxelArray, VoxelType } from '../../../../common/contract/volume.js';
import type { ImageObject, OtherObject } from './dataset.js';
import type { WasmModule } from './wasm.js';

export interface ScanRequest {
  readonly type: 'scan';
  readonly files: readonly string[];
}

/** One file's frames to decode, the k index each frame lands at, and its rescale. */
export interface DecodeJob {
  readonly path: string;
  readonly frames: readonly { readonly frame: number; readonly k: number; readonly slope: number; readonly intercept: number }[];
}

export interface DecodeRequest {
  readonly type: 'decode';
  readonly jobs: readonly DecodeJob[];
  /** The volume's type: slices arrive rescaled into it, so main only copies them. */
  readonly voxelType: VoxelType;
  /** OpenJPEG compiled by the main thread (pool.ts), when the jobs hold JPEG 2000. */
  readonly openJpeg?: WasmModule;
}

/**
 * A decoded frame's buffer handed back once main has copied it into the volume: the worker
 * decodes the next frame into it. Without this every frame is a fresh 0.5 MB allocation that
 * the worker's malloc arena keeps after main frees it (measured: ~70 MB on a 200-slice series).
 */
export interface RecycleMessage {
  readonly type: 'recycle';
  readonly buffer: ArrayBuffer;
}

export type WorkerRequest = ScanRequest | DecodeRequest;
export type WorkerMessage = WorkerRequest | RecycleMessage;

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
  /** A rescaled slice of the request's voxelType, and the range of its values. */
  | { readonly type: 'slice'; readonly k: number; readonly voxels: VoxelArray; readonly min: number; readonly max: number }
  | { readonly type: 'decoded' }
  | { readonly type: 'failed'; readonly path: string; readonly message: string };
