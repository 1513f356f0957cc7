/** Messages between the inference service (main thread) and its worker. */
import type { ModelCard } from '../../../common/contract/model-card.js';
import type { ErrorCode } from '../../../common/contract/result.js';
import type { VoxelArray } from '../../../common/contract/volume.js';
import type { Geometry } from '../imaging/volume.js';
import type { Device, ProviderReport } from './ort-engine.js';
import type { SegmentProgress } from './segment-volume.js';

export type InferenceRequest =
  | { readonly type: 'load'; readonly id: number; readonly modelDir: string; readonly device: Device }
  | {
      readonly type: 'segment';
      readonly id: number;
      /** Embeddings are cached per volume key; a new key starts afresh. */
      readonly volumeKey: string;
      readonly volume: Geometry & { readonly voxels: VoxelArray };
      readonly modality: string | undefined;
      /** Volume-sized labels in shared memory to write into (main reads finished slices during the run). */
      readonly output?: Uint8Array;
      readonly batch: number;
      readonly slices?: readonly number[];
    }
  | { readonly type: 'cancel'; readonly id: number };

export type InferenceReply =
  | { readonly type: 'loaded'; readonly id: number; readonly card: ModelCard; readonly report: ProviderReport }
  | { readonly type: 'progress'; readonly id: number; readonly progress: SegmentProgress }
  | {
      readonly type: 'segmented';
      readonly id: number;
      readonly labels: Uint8Array;
      readonly uncertainty: Float64Array;
      /** Per voxel: normalised entropy × 255 (see SegmentResult.entropy); moved, not copied. */
      readonly entropy: Uint8Array;
      readonly completed: readonly number[];
      readonly cancelled: boolean;
      readonly sliceAxis: 0 | 1 | 2;
    }
  /** `code`: the error kind of a UserFacingError (kept across the thread); absent for a bug. */
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly code?: ErrorCode };
