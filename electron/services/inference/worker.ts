/**
 * The inference worker thread: owns the onnxruntime sessions and the embedding cache, and runs
 * the volume pipeline so neither Electron's main thread nor the UI ever waits on a model.
 */
import { parentPort } from 'node:worker_threads';
import { UserFacingError } from '../../../common/contract/result.js';
import { EmbeddingCache } from './embedding-cache.js';
import { loadModelFolder } from './model-folder.js';
import { createOrtEngine, type OrtEngine } from './ort-engine.js';
import type { InferenceReply, InferenceRequest } from './protocol.js';
import { segmentVolume } from './segment-volume.js';

const port = parentPort;
if (!port) throw new Error('inference worker started outside a worker thread');

/** 1 MB per slice at 512 for ViT-B: 256 MB keeps a few hundred slices. */
const cache = new EmbeddingCache(256 << 20);
let loaded: { engine: OrtEngine; card: Awaited<ReturnType<typeof loadModelFolder>>['card'] } | null = null;
const running = new Map<number, AbortController>();

const post = (m: InferenceReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

function fail(id: number, e: unknown): void {
  post({ type: 'error', id, message: e instanceof Error ? e.message : String(e), ...(e instanceof UserFacingError ? { code: e.code } : {}) });
}

async function handle(req: InferenceRequest): Promise<void> {
  switch (req.type) {
    case 'load': {
      const model = await loadModelFolder(req.modelDir);
      const engine = await createOrtEngine(model, req.device);
      await loaded?.engine.release();
      loaded = { engine, card: model.card };
      post({ type: 'loaded', id: req.id, card: model.card, report: engine.report });
      return;
    }
    case 'segment': {
      if (!loaded) throw new UserFacingError('not-found', 'No model is loaded; load a model first.');
      const abort = new AbortController();
      running.set(req.id, abort);
      try {
        const r = await segmentVolume(req.volume, loaded.card, loaded.engine, {
          modality: req.modality,
          batch: req.batch,
          ...(req.slices ? { slices: req.slices } : {}),
          ...(req.output ? { output: req.output } : {}),
          signal: abort.signal,
          embeddingCache: cache.forVolume(`${loaded.card.name}@${loaded.card.version}/${req.volumeKey}`),
          onProgress: (progress) => post({ type: 'progress', id: req.id, progress }),
        });
        post(
          {
            type: 'segmented',
            id: req.id,
            labels: r.labels,
            uncertainty: r.uncertainty,
            entropy: r.entropy,
            completed: r.completed,
            cancelled: r.cancelled,
            sliceAxis: r.frame.sliceAxis,
          },
          // Shared memory is shared, not moved.
          [r.labels.buffer, r.entropy.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer),
        );
      } finally {
        running.delete(req.id);
      }
      return;
    }
    case 'cancel':
      running.get(req.id)?.abort();
      return;
  }
}

port.on('message', (req: InferenceRequest) => {
  handle(req).catch((e: unknown) => fail(req.id, e));
});
