/**
 * onnxruntime-node sessions for a model folder, on the fastest execution provider that works:
 * CUDA (Linux, Windows), DirectML (Windows), CoreML (macOS), then CPU. Each provider that was
 * tried and failed is reported with its reason, so the app can say why it runs on the CPU.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, platform } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserFacingError } from '../../../common/contract/result.js';
import type { Engine } from './segment-volume.js';
import type { ModelFolder } from './model-folder.js';
import type { Precision } from '../../../common/contract/segmentation.js';
import { openSliceGraphs, type SliceGraphs } from './slice-graphs.js';
import { runEncoder, type EncoderCall } from './encoder-run.js';
import { startGraphThread, type GraphThread } from './graph-thread-client.js';

export type Device = 'auto' | 'cpu' | 'gpu';

export interface ProviderReport {
  /** The provider the sessions run on. */
  readonly provider: string;
  /** Faster providers that were tried, and why each was not used. */
  readonly skipped: readonly { readonly provider: string; readonly reason: string }[];
  /** int8 when the sessions run the card's int8 graphs (CPU only), else fp32. */
  readonly precision: Precision;
}

export interface OrtEngine extends Engine {
  readonly report: ProviderReport;
  release(): Promise<void>;
}

function gpuProviders(): string[] {
  switch (platform()) {
    case 'win32':
      return ['cuda', 'dml'];
    case 'darwin':
      return ['coreml'];
    default:
      return ['cuda'];
  }
}

/**
 * The CUDA provider is a separate library that `npm install` does not fetch (see the README);
 * look for it before asking ORT, which would otherwise log a load failure of its own.
 */
function cudaLibraryPresent(): boolean {
  const binding = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', platform(), arch());
  const name = platform() === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(binding, name));
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'unknown error';
}

/** A session for one graph; a file onnxruntime cannot parse is named in a sentence. */
async function openGraph(path: string, opts: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, opts).catch((e: unknown) => {
    throw new UserFacingError('unreadable', `${basename(dirname(path))}/${basename(path)} is not an ONNX model onnxruntime can load (${firstLine(e)}).`);
  });
}

/**
 * The graphs against the card, when the model loads rather than at its first run: input and
 * output names, element types and shapes (symbolic batch dimensions match anything).
 */
function checkGraphs(
  model: { readonly card: ModelFolder['card']; readonly encoderPath: string; readonly decoderPath: string },
  encoder: ort.InferenceSession,
  decoder: ort.InferenceSession,
): void {
  const { card } = model;
  const s = card.input.size;
  const emb = card.outputs.embeddings.shape.slice(1);
  const expect = (session: ort.InferenceSession, path: string, side: 'input' | 'output', name: string, shape: readonly (number | string)[]): void => {
    const file = `${basename(dirname(path))}/${basename(path)}`;
    const names = side === 'input' ? session.inputNames : session.outputNames;
    if (!names.includes(name)) {
      throw new UserFacingError('unreadable', `${file} does not match model.json: it has no ${side} "${name}" (its ${side}s are ${names.map((n) => `"${n}"`).join(', ') || 'none'}).`);
    }
    const meta = (side === 'input' ? session.inputMetadata : session.outputMetadata).find((m) => m.name === name);
    if (!meta?.isTensor) return;
    if (meta.type !== 'float32') throw new UserFacingError('unreadable', `${file} does not match model.json: its ${side} "${name}" holds ${meta.type}, not float32.`);
    const ok = meta.shape.length === 0 || (meta.shape.length === shape.length && meta.shape.every((d, i) => typeof d === 'string' || typeof shape[i] === 'string' || d === shape[i]));
    if (!ok) {
      throw new UserFacingError('unreadable', `${file} does not match model.json: its ${side} "${name}" has shape [${meta.shape.join(', ')}], the card says [${shape.join(', ')}].`);
    }
  };
  expect(encoder, model.encoderPath, 'input', card.input.name, ['batch', 3, s, s]);
  expect(encoder, model.encoderPath, 'output', 'embeddings', ['batch', ...emb]);
  expect(decoder, model.decoderPath, 'input', 'embeddings', ['batch', ...emb]);
  expect(decoder, model.decoderPath, 'output', 'logits', ['batch', card.classes.length, s, s]);
}

/**
 * Encoders below this size (fp32 weights) run pipelined on the CPU: each session on half the
 * cores, the next batch encoding while this one decodes in a second thread. Their operators are
 * too small for many threads each: the demo (tiny ViT, 4.6 MB) decodes a batch of 4 in 19 ms on one
 * thread and 18 ms on two, so a second thread is better spent on the other stage. ViT-B (350 MB)
 * keeps every core on each product, where the threads pay.
 */
export const PIPELINE_BELOW_BYTES = 64 * 2 ** 20;

function pipelinesOnCpu(model: ModelFolder): boolean {
  return availableParallelism() > 1 && statSync(model.encoderPath).size < PIPELINE_BELOW_BYTES;
}

/**
 * `precision` 'auto': the card's int8 graphs when it offers them and the sessions run on the CPU,
 * else fp32; 'fp32' forces the fp32 graphs (the benchmark compares both).
 */
export async function createOrtEngine(model: ModelFolder, device: Device = 'auto', precision: 'auto' | 'fp32' = 'auto'): Promise<OrtEngine> {
  const bundled = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const skipped: { provider: string; reason: string }[] = [];
  // A small model on the CPU: its sessions split the cores and segmentVolume overlaps the stages.
  const pipelined = pipelinesOnCpu(model);
  const options = (provider: string): ort.InferenceSession.SessionOptions => ({
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: provider === 'cpu' && pipelined ? Math.max(1, Math.floor(availableParallelism() / 2)) : availableParallelism(),
    // A missing GPU library is expected and reported below; keep ORT from printing it as an error.
    logSeverityLevel: provider === 'cpu' ? 2 : 4,
    // A session's threads sleep when its run ends instead of spinning for the next: each of the
    // four sessions (preprocess, encoder, decoder, postprocess) has its own pool, and one spinning
    // after its run took a core from the next one's (ViT-B@512 int8: ~485 → ~430 ms a slice).
    extra: { session: { 'intra_op.allow_spinning': '0' } },
  });

  let sessions: { encoder: ort.InferenceSession; decoder: ort.InferenceSession; provider: string } | null = null;
  for (const provider of device === 'cpu' ? [] : gpuProviders()) {
    if (!bundled.has(provider)) {
      skipped.push({ provider, reason: 'not available in this build of onnxruntime-node' });
      continue;
    }
    if (provider === 'cuda' && !cudaLibraryPresent()) {
      skipped.push({ provider, reason: 'the CUDA provider libraries are not installed (see the README to add them)' });
      continue;
    }
    try {
      const encoder = await ort.InferenceSession.create(model.encoderPath, options(provider));
      const decoder = await ort.InferenceSession.create(model.decoderPath, options(provider));
      sessions = { encoder, decoder, provider };
      break;
    } catch (e) {
      // Typically no device, a driver too old, or out of memory: ORT's own first line says which.
      skipped.push({ provider, reason: firstLine(e) });
    }
  }
  let used: Precision = 'fp32';
  if (!sessions) {
    if (device === 'gpu' && skipped.length === 0) skipped.push({ provider: 'gpu', reason: 'no GPU provider for this platform' });
    // On the CPU the int8 encoder runs its products as integer kernels (DynamicQuantizeMatMul):
    // ViT-B@512 and the demo's encoder take well under half the fp32 time. GPUs keep fp32.
    const int8 = precision === 'auto' ? model.int8 : null;
    const graphs = int8 ?? model;
    const encoder = await openGraph(graphs.encoderPath, options('cpu'));
    const decoder = await openGraph(graphs.decoderPath, options('cpu')).catch(async (e: unknown) => {
      await encoder.release();
      throw e;
    });
    sessions = { encoder, decoder, provider: 'cpu' };
    if (int8) used = 'int8';
  }
  const { encoder, decoder } = sessions;
  try {
    checkGraphs(used === 'int8' && model.int8 ? { card: model.card, ...model.int8 } : model, encoder, decoder);
  } catch (e) {
    await encoder.release();
    await decoder.release();
    throw e;
  }
  const s = model.card.input.size;
  // The folder's slice graphs on the same provider and options; without them segmentVolume does
  // the same steps in JavaScript.
  let sliceGraphs: SliceGraphs | null = null;
  if (model.sliceGraphs) {
    try {
      sliceGraphs = await openSliceGraphs(model.sliceGraphs, options(sessions.provider));
    } catch (e) {
      await encoder.release();
      await decoder.release();
      throw e;
    }
  }

  const call: EncoderCall = { inputName: model.card.input.name, size: s, perSlice: used === 'int8' };
  // Pipelined: the decoder runs in a second thread, on its own session, while this thread
  // pre-processes and encodes the next batch and finishes the last: the two sides take about as
  // long. The session here (opened for the check above; small, by the rule) stays for when the
  // thread cannot start or stops.
  let thread: GraphThread | null = null;
  if (sessions.provider === 'cpu' && pipelined) {
    thread = await startGraphThread(used === 'int8' && model.int8 ? model.int8.decoderPath : model.decoderPath, options('cpu')).catch((e: unknown) => {
      console.warn(`Decoding in this thread (no pipelining): ${firstLine(e)}`);
      return null;
    });
  }
  const embDims = model.card.outputs.embeddings.shape.slice(1) as number[];

  return {
    report: { provider: sessions.provider, skipped, precision: used },
    ...(sliceGraphs ? { sliceSteps: sliceGraphs } : {}),
    pipelined: thread !== null,
    encode: (images, batch) => runEncoder(encoder, call, images, batch),
    async decode(embeddings, batch) {
      if (thread?.alive) {
        try {
          return await thread.run('embeddings', embeddings, [batch, ...embDims], 'logits');
        } catch (e) {
          // A graph error is the caller's; a thread that died leaves this thread's own session to decode.
          if (thread.alive) throw e;
          console.warn(`The decoder thread stopped (${firstLine(e)}); decoding in this thread.`);
        }
      }
      const out = await decoder.run({ embeddings: new ort.Tensor('float32', embeddings, [batch, ...embDims]) }, ['logits']);
      return out['logits']?.data as Float32Array;
    },
    async release() {
      await thread?.release();
      await encoder.release();
      await decoder.release();
      await sliceGraphs?.release();
    },
  };
}
