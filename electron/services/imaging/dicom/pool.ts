/**
 * The DICOM worker threads and the compiled codecs they share. The worker file differs by how we
 * run: from TypeScript sources (vitest, `node --import tsx`) it is worker.ts loaded through tsx's
 * ESM hook; from a bundle (dist/electron, dist/cli) it is dicom-worker.mjs beside it.
 *
 * Why workers outlive a request: starting one costs Node's bootstrap plus loading dcmjs (about
 * 0.25 s of CPU each on the project's 2-core machine), and a scan is almost always followed by the
 * decode of one of its series. So a finished worker waits, unref'd (it never keeps a process such
 * as the CLI alive), for IDLE_MS and is then terminated, returning its heap and WASM memory.
 *
 * Why the OpenJPEG module is compiled here, on the main thread, and posted to the workers: V8
 * shares one compiled module between every thread it is posted to, and keeps it while this
 * thread holds it, so the app compiles it once per process, not once per worker or per series
 * (and, where TurboFan is on, optimises it once: see useBaselineWasmCompiler in wasm.ts).
 *
 * Invariant: a worker that failed, exited or whose request threw is terminated, never reused;
 * requests are handed out one at a time to whichever worker is free, so a worker slowed by a
 * busy core takes fewer of them.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../workers/start-worker.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { wasm, type WasmModule } from './wasm.js';

/** Two cores are the project's machine; more threads only add heaps. */
export const workerCount = (): number => Math.max(1, Math.min(2, availableParallelism()));

/**
 * Workers worth starting for `items` units of work, one more per `perWorker`: a second worker
 * costs about 0.25 s of CPU to start (Node bootstrap, dcmjs) and 25 MiB. Reading headers or
 * native pixels costs a few ms per file, so a second worker pays from about a hundred files;
 * a JPEG 2000 frame of 512² costs 43 ms of OpenJPEG, so it pays from a handful of slices.
 */
export const workersFor = (items: number, perWorker: number): number => Math.max(1, Math.min(workerCount(), Math.ceil(items / perWorker)));

/** How long a finished worker is kept for the next request (a decode after a scan). */
export const IDLE_MS = 5000;

/**
 * A small young generation: a worker's short-lived objects (a parsed header, a message) are tiny
 * next to its pixel buffers, and Node's default lets each worker's heap grow by ~10 MB of
 * semi-spaces during a decode (measured on a 200-slice series: peak 281 → 240 MB, same time).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 };

const startDicomWorker = (): Worker => startWorker(import.meta.url, './worker.ts', 'dicom-worker.mjs', WORKER_LIMITS);

const idle: Worker[] = [];
let busy = 0;
let idleTimer: NodeJS.Timeout | undefined;

function freshWorker(): Worker {
  const w = startDicomWorker();
  // A worker that dies while idle must not be handed out again.
  w.on('exit', () => {
    const i = idle.indexOf(w);
    if (i >= 0) idle.splice(i, 1);
  });
  return w;
}

function takeWorker(): Worker {
  busy++;
  const w = idle.pop();
  if (!w) return freshWorker();
  w.ref();
  return w;
}

function releaseWorker(w: Worker): void {
  w.unref();
  idle.push(w);
  scheduleIdleEnd();
}

function scheduleIdleEnd(): void {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    for (const x of idle.splice(0)) void x.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

/**
 * Start workers now, up to `count` in all, for work known to follow (a scan that met compressed
 * images will decode them): their bootstrap then overlaps the scan instead of delaying the decode.
 */
export function warmWorkers(count: number): void {
  const missing = Math.min(count, workerCount()) - busy - idle.length;
  if (missing <= 0) return;
  for (let n = 0; n < missing; n++) {
    const w = freshWorker();
    w.unref();
    idle.push(w);
  }
  scheduleIdleEnd();
}

/**
 * Run `requests` on up to `maxWorkers` threads; `onReply` sees every message with the index of
 * the request it answers and returns true when that request is finished. Rejects on the first
 * worker error.
 */
export async function runOnWorkers(
  requests: readonly WorkerRequest[],
  onReply: (request: number, reply: WorkerReply, worker: Worker) => boolean,
  maxWorkers = workerCount(),
): Promise<void> {
  let next = 0;
  const used: Worker[] = [];
  let failed = false;
  const drive = (w: Worker): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let current = -1;
      const detach = (): void => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const fail = (e: unknown): void => {
        failed = true;
        detach();
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      const send = (): void => {
        const req = failed ? undefined : requests[next];
        if (!req) {
          detach();
          resolve();
          return;
        }
        current = next++;
        w.postMessage(req);
      };
      function onMessage(reply: WorkerReply): void {
        try {
          if (onReply(current, reply, w)) send();
        } catch (e) {
          fail(e);
        }
      }
      const onError = (e: Error): void => fail(e);
      const onExit = (code: number): void => fail(new Error(`DICOM worker stopped unexpectedly (exit code ${code})`));
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      send();
    });
  const count = Math.max(1, Math.min(maxWorkers, requests.length));
  try {
    await Promise.all(
      Array.from({ length: count }, () => {
        const w = takeWorker();
        used.push(w);
        return drive(w);
      }),
    );
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    busy -= used.length;
    // After a failure the others may be mid-request: their replies would reach the next caller.
    for (const w of used) {
      if (failed) void w.terminate();
      else releaseWorker(w);
    }
  }
}

const require = createRequire(import.meta.url);
let openJpeg: Promise<WasmModule> | undefined;

/**
 * OpenJPEG's WebAssembly module, compiled once per process (off this thread: WebAssembly.compile
 * works on V8's background threads). Start it as soon as a scan meets JPEG 2000.
 */
export function compiledOpenJpeg(): Promise<WasmModule> {
  if (!openJpeg) {
    const compiling = readFile(require.resolve('@cornerstonejs/codec-openjpeg/decodewasm')).then((bytes) => wasm.compile(bytes));
    // A failed compile is reported by the decode that awaits it; a later open tries again.
    compiling.catch(() => {
      if (openJpeg === compiling) openJpeg = undefined;
    });
    openJpeg = compiling;
  }
  return openJpeg;
}
