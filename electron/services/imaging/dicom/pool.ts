/**
 * Starts the DICOM worker threads and runs one request on each. The worker file differs by how
 * we run: from TypeScript sources (vitest, `node --import tsx`) it is worker.ts loaded through
 * tsx's ESM hook; from a bundle (dist/electron, dist/cli) it is dicom-worker.mjs beside it.
 *
 * Invariant: every started worker is terminated when its request ends, fails or throws.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../workers/start-worker.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

/** Two cores are the project's machine; more threads only add WASM heaps. */
export const workerCount = (): number => Math.max(1, Math.min(2, availableParallelism()));

const startDicomWorker = (): Worker => startWorker(import.meta.url, './worker.ts', 'dicom-worker.mjs');

/**
 * Run one request per worker; `onReply` sees every message and returns true when the worker's
 * request is finished. Rejects on the first worker error.
 */
export async function runOnWorkers(requests: readonly WorkerRequest[], onReply: (worker: number, reply: WorkerReply) => boolean): Promise<void> {
  const workers = requests.map(() => startDicomWorker());
  try {
    await Promise.all(
      workers.map(
        (w, n) =>
          new Promise<void>((resolve, reject) => {
            w.on('message', (reply: WorkerReply) => {
              try {
                if (onReply(n, reply)) resolve();
              } catch (e) {
                reject(e instanceof Error ? e : new Error(String(e)));
              }
            });
            w.on('error', reject);
            w.on('exit', (code) => reject(new Error(`DICOM worker stopped unexpectedly (exit code ${code})`)));
            w.postMessage(requests[n]);
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
