/** Starts a pipelined engine's encoder thread (encoder-thread.ts) and calls it like a session. */
import type * as ort from 'onnxruntime-node';
import { startWorker } from '../workers/start-worker.js';
import type { EncoderCall } from './encoder-run.js';

export type EncoderThreadRequest =
  | { readonly type: 'open'; readonly id: number; readonly path: string; readonly options: ort.InferenceSession.SessionOptions; readonly call: EncoderCall }
  | { readonly type: 'encode'; readonly id: number; readonly images: Float32Array; readonly batch: number }
  | { readonly type: 'release'; readonly id: number };

export type EncoderThreadReply = { readonly id: number; readonly embeddings?: Float32Array; readonly error?: string };

export interface EncoderThread {
  encode(images: Float32Array, batch: number): Promise<Float32Array>;
  release(): Promise<void>;
}

type Sent = EncoderThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export async function startEncoderThread(path: string, options: ort.InferenceSession.SessionOptions, call: EncoderCall): Promise<EncoderThread> {
  const worker = startWorker(import.meta.url, './encoder-thread.ts', 'encoder-worker.mjs');
  const pending = new Map<number, { resolve: (r: EncoderThreadReply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | null = null;
  const failAll = (e: Error): void => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (r: EncoderThreadReply) => {
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (r.error !== undefined) p?.reject(new Error(r.error));
    else p?.resolve(r);
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', (code) => failAll(new Error(`the encoder thread exited (code ${code})`)));
  const ask = (m: Sent): Promise<EncoderThreadReply> =>
    new Promise((resolve, reject) => {
      if (dead) return reject(dead);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      // The images are copied, not transferred: the caller may still read them.
      worker.postMessage({ ...m, id });
    });
  try {
    await ask({ type: 'open', path, options, call });
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  return {
    async encode(images, batch) {
      const r = await ask({ type: 'encode', images, batch });
      if (!r.embeddings) throw new Error('the encoder thread sent no embeddings');
      return r.embeddings;
    },
    async release() {
      if (!dead) await ask({ type: 'release' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
