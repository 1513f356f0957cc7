/**
 * The pipelined engine's graph thread: the demo's decoder run there gives exactly what the same
 * session options give on this thread, and a thread that is gone says so instead of hanging.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test-support/paths.js';
import { startGraphThread } from './graph-thread-client.js';

const decoder = join(REPO_ROOT, 'native-models', 'models', 'demo', 'decoder.onnx');
const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: 1 };

describe('graph thread', () => {
  it("runs the demo decoder with the same logits as this thread's session, then refuses once released", async () => {
    const dims = [2, 128, 14, 14];
    const embeddings = Float32Array.from({ length: 2 * 128 * 14 * 14 }, (_, i) => Math.sin(i * 0.013) * 0.8);
    const here = await ort.InferenceSession.create(decoder, options);
    const expected = (await here.run({ embeddings: new ort.Tensor('float32', embeddings, dims) }, ['logits']))['logits']?.data as Float32Array;
    await here.release();

    const thread = await startGraphThread(decoder, options);
    expect(thread.alive).toBe(true);
    const logits = await thread.run('embeddings', embeddings, dims, 'logits');
    expect(logits.length).toBe(2 * 9 * 224 * 224);
    expect(logits).toEqual(expected);
    // The input was copied, not moved: the caller still holds it.
    expect(embeddings.length).toBe(2 * 128 * 14 * 14);

    // A graph error is reported and the thread lives on.
    await expect(thread.run('no-such-input', embeddings, dims, 'logits')).rejects.toThrow(/no-such-input|input/i);
    expect(thread.alive).toBe(true);

    await thread.release();
    expect(thread.alive).toBe(false);
    await expect(thread.run('embeddings', embeddings, dims, 'logits')).rejects.toThrow(/exited/);
  }, 60_000);

  it('refuses a file that is not a model, and leaves no thread behind', async () => {
    await expect(startGraphThread(join(REPO_ROOT, 'package.json'), options)).rejects.toThrow();
  });
});
