/** Starts a pipelined engine's graph thread (graph-thread.ts) and calls its session. */
import type * as ort from 'onnxruntime-node';
import { startWorker } from '../workers/start-worker.js';

export type GraphThreadRequest =
  | { readonly type: 'open'; readonly id: number; readonly path: string; readonly options: ort.InferenceSession.SessionOptions }
  | { readonly type: 'run'; readonly id: number; readonly input: string; readonly data: Float32Array; readonly dims: readonly number[]; readonly output: string }
  | { readonly type: 'release'; readonly id: number };

export type GraphThreadReply = { readonly id: number; readonly data?: Float32Array; readonly error?: string };

export interface GraphThread {
  /** One float32 input, one float32 output. */
  run(input: string, data: Float32Array, dims: readonly number[], output: string): Promise<Float32Array>;
  /** False once the thread has exited (released, or crashed): every run then rejects. */
  readonly alive: boolean;
  release(): Promise<void>;
}

type Sent = GraphThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export async function startGraphThread(path: string, options: ort.InferenceSession.SessionOptions): Promise<GraphThread> {
  const worker = startWorker(import.meta.url, './graph-thread.ts', 'graph-worker.mjs');
  const pending = new Map<number, { resolve: (r: GraphThreadReply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | null = null;
  const failAll = (e: Error): void => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (r: GraphThreadReply) => {
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (r.error !== undefined) p?.reject(new Error(r.error));
    else p?.resolve(r);
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', (code) => failAll(new Error(`the graph thread exited (code ${code})`)));
  const ask = (m: Sent): Promise<GraphThreadReply> =>
    new Promise((resolve, reject) => {
      if (dead) return reject(dead);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      // The input is copied, not transferred: the caller may still read it.
      worker.postMessage({ ...m, id });
    });
  try {
    await ask({ type: 'open', path, options });
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  return {
    get alive() {
      return dead === null;
    },
    async run(input, data, dims, output) {
      const r = await ask({ type: 'run', input, data, dims, output });
      if (!r.data) throw new Error(`the graph thread sent no ${output}`);
      return r.data;
    },
    async release() {
      if (!dead) await ask({ type: 'release' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
