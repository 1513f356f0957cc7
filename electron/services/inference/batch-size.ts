/**
 * How many slices to run per batch so a batch fits in memory: each slice holds its 3-channel
 * input, the encoder's largest activation (global attention, heads × tokens² floats), its N
 * logit planes at S² twice (the logits and the post-processing's exponentials) and the logits
 * resized to the slice size. A batch may use a quarter of
 * the free memory, and is kept between 1 and 8 slices: more buys no speed on a CPU, and a
 * smaller batch keeps progress fine-grained and cancel quick (it stops after the batch in flight).
 */
import { freemem } from 'node:os';
import type { ModelCard } from '../../../common/contract/model-card.js';

export function batchForMemory(card: ModelCard, slicePixels: number, freeBytes: number = freemem()): number {
  const s = card.input.size;
  const n = card.classes.length;
  const heads = Number(card.architecture.config['num_heads'] ?? 12);
  const tokens = (s / 16) ** 2;
  const floatsPerSlice = 3 * s * s + 2 * heads * tokens * tokens + 2 * n * s * s + n * slicePixels;
  return Math.max(1, Math.min(8, Math.floor(freeBytes / 4 / (floatsPerSlice * 4))));
}
