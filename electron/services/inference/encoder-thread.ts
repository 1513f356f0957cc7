/**
 * The encoder thread of a pipelined engine (ort-engine.ts): its own onnxruntime session, so a
 * small model's next batch encodes while the thread that owns the engine decodes this one.
 * onnxruntime-node runs a session on the JavaScript thread that calls it, so two sessions only
 * overlap from two threads.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { runEncoder } from './encoder-run.js';
import type { EncoderThreadReply, EncoderThreadRequest } from './encoder-thread-client.js';

const port = parentPort;
if (!port) throw new Error('encoder thread started outside a worker thread');

let session: ort.InferenceSession | null = null;
let call: Extract<EncoderThreadRequest, { type: 'open' }>['call'] | null = null;

const reply = (m: EncoderThreadReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

port.on('message', (req: EncoderThreadRequest) => {
  void (async () => {
    try {
      if (req.type === 'open') {
        session = await ort.InferenceSession.create(req.path, req.options);
        call = req.call;
        reply({ id: req.id });
      } else if (req.type === 'encode') {
        if (!session || !call) throw new Error('the encoder thread has no session');
        const embeddings = await runEncoder(session, call, req.images, req.batch);
        reply({ id: req.id, embeddings }, [embeddings.buffer as ArrayBuffer]);
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
