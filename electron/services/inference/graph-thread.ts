/**
 * A pipelined engine's second thread (ort-engine.ts): one graph's onnxruntime session (the
 * decoder), so a small model's batches decode here while the thread that owns the engine
 * pre-processes and encodes the next one and finishes the last. onnxruntime-node runs a session
 * on the JavaScript thread that calls it, so two sessions only overlap from two threads.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { GraphThreadReply, GraphThreadRequest } from './graph-thread-client.js';

const port = parentPort;
if (!port) throw new Error('graph thread started outside a worker thread');

let session: ort.InferenceSession | null = null;

const reply = (m: GraphThreadReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

port.on('message', (req: GraphThreadRequest) => {
  void (async () => {
    try {
      if (req.type === 'open') {
        session = await ort.InferenceSession.create(req.path, req.options);
        reply({ id: req.id });
      } else if (req.type === 'run') {
        if (!session) throw new Error('the graph thread has no session');
        const out = await session.run({ [req.input]: new ort.Tensor('float32', req.data, req.dims) }, [req.output]);
        const data = out[req.output]?.data as Float32Array;
        reply({ id: req.id, data }, [data.buffer as ArrayBuffer]);
      } else {
        await session?.release();
        session = null;
        reply({ id: req.id });
      }
    } catch (e) {
      reply({ id: req.id, error: e instanceof Error ? e.message : String(e) });
    }
  })();
});
