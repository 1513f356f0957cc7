/**
 * The slice steps (slice-steps.ts) run by onnxruntime: a model folder's preprocess.onnx and
 * postprocess.onnx (native-models/hsam/slice_graphs.py), a whole batch per call, on the same
 * provider and session options as the model's graphs. A graph whose inputs or outputs are not the
 * ones below is refused when the model loads, naming the file.
 */
import { basename, dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserFacingError } from '../../../common/contract/result.js';
import type { SliceSteps } from './slice-steps.js';

const SIGNATURES = {
  preprocess: { inputs: ['slices', 'window', 'range', 'size'], outputs: ['image'] },
  postprocess: { inputs: ['logits', 'size'], outputs: ['labels', 'uncertainty', 'entropy'] },
} as const;

function checkSignature(session: ort.InferenceSession, path: string, role: keyof typeof SIGNATURES): void {
  const want = SIGNATURES[role];
  const has = (names: readonly string[], need: readonly string[]): boolean => need.every((n) => names.includes(n));
  if (!has(session.inputNames, want.inputs) || !has(session.outputNames, want.outputs)) {
    throw new UserFacingError(
      'unreadable',
      `${basename(dirname(path))}/${basename(path)} is not a ${role} graph: it takes ${session.inputNames.join(', ')} and gives ${session.outputNames.join(', ')} (expected ${want.inputs.join(', ')} → ${want.outputs.join(', ')}).`,
    );
  }
}

const int64Pair = (a: number, b: number): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from([BigInt(a), BigInt(b)]), [2]);

export interface SliceGraphs extends SliceSteps {
  release(): Promise<void>;
}

export async function openSliceGraphs(
  paths: { readonly preprocessPath: string; readonly postprocessPath: string },
  options: ort.InferenceSession.SessionOptions,
): Promise<SliceGraphs> {
  const open = (path: string): Promise<ort.InferenceSession> =>
    ort.InferenceSession.create(path, options).catch((e: unknown) => {
      throw new UserFacingError('unreadable', `${basename(dirname(path))}/${basename(path)} is not an ONNX model onnxruntime can load (${(e instanceof Error ? e.message : String(e)).split('\n')[0]}).`);
    });
  const pre = await open(paths.preprocessPath);
  const post = await open(paths.postprocessPath).catch(async (e: unknown) => {
    await pre.release();
    throw e;
  });
  try {
    checkSignature(pre, paths.preprocessPath, 'preprocess');
    checkSignature(post, paths.postprocessPath, 'postprocess');
  } catch (e) {
    await pre.release();
    await post.release();
    throw e;
  }
  return {
    async preprocess(slices, { batch, width, height }, p, size) {
      const out = await pre.run({
        slices: new ort.Tensor('float32', slices, [batch, 1, height, width]),
        window: new ort.Tensor('float32', Float32Array.from(p.window), [2]),
        range: new ort.Tensor('float32', Float32Array.from(p.range), [2]),
        size: int64Pair(size, size),
      });
      return out['image']?.data as Float32Array;
    },
    async postprocess(logits, { batch, width, height }, classes, size) {
      const out = await post.run({ logits: new ort.Tensor('float32', logits, [batch, classes, size, size]), size: int64Pair(height, width) });
      return { labels: out['labels']?.data as Uint8Array, uncertainty: out['uncertainty']?.data as Float32Array, entropy: out['entropy']?.data as Uint8Array };
    },
    async release() {
      await pre.release();
      await post.release();
    },
  };
}
