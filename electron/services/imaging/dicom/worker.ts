/**
 * The DICOM worker thread: reads and parses files (scan) and decodes their frames (open), so
 * the main process never blocks on dcmjs or a WASM codec. Stateless between requests except
 * for the codec instances, which load once per thread (pool.ts keeps threads between requests).
 *
 * Invariant: every request ends with exactly one 'scanned', 'decoded' or 'failed' reply; a bad
 * file during a scan is reported in `unreadable`, never thrown.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { valueRange, VOXEL_TYPES } from '../volume.js';
import { decodeFrame, encapsulatedDataComplete, isSupportedTransferSyntax, nativePixelBytesPresent, prepareCodec } from './codecs.js';
import { DicomFileError, parseDicom, pixelDataValues, type ImageObject, type OtherObject } from './dataset.js';
import type { DecodeRequest, ScanRequest, WorkerMessage, WorkerReply } from './protocol.js';
import { rescaleInto } from './rescale.js';
import { NATIVE_SYNTAXES, TRANSFER_SYNTAX_NAMES } from './transfer-syntax.js';

const port = parentPort;
if (!port) throw new Error('dicom worker: must run as a worker thread');
const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

async function scan(req: ScanRequest): Promise<void> {
  const images: ImageObject[] = [];
  const others: OtherObject[] = [];
  const unreadable: { file: string; reason: string }[] = [];
  let done = 0;
  const syntaxes = new Set<string>();
  for (const path of req.files) {
    try {
      const bytes = await readFile(path);
      const { object } = parseDicom(path, bytes, true);
      if (object.kind === 'image' && !isSupportedTransferSyntax(object.transferSyntax)) {
        const name = TRANSFER_SYNTAX_NAMES[object.transferSyntax] ?? 'unknown';
        unreadable.push({ file: basename(path), reason: `transfer syntax ${object.transferSyntax} (${name}) is not supported` });
      } else if (object.kind === 'image') {
        images.push(object);
        if (!syntaxes.has(object.transferSyntax)) {
          syntaxes.add(object.transferSyntax);
          post({ type: 'syntax', transferSyntax: object.transferSyntax });
        }
      } else others.push(object);
    } catch (e) {
      unreadable.push({ file: basename(path), reason: e instanceof DicomFileError ? e.message : `cannot be read (${String(e)})` });
    }
    if (++done % 8 === 0) post({ type: 'progress', done });
  }
  post({ type: 'scanned', images, others, unreadable });
}

async function decode(req: DecodeRequest): Promise<void> {
  for (const job of req.jobs) {
    try {
      const bytes = await readFile(job.path);
      const { object, dataset } = parseDicom(job.path, bytes, false);
      if (object.kind !== 'image') throw new DicomFileError(`it is no longer an image (${object.reason})`);
      const f = object.format;
      const frameCount = object.frames.length;
      await prepareCodec(object.transferSyntax, req.openJpeg);
      const expected = f.rows * f.columns * (f.bitsAllocated / 8) * frameCount;
      const present = nativePixelBytesPresent(bytes, object.transferSyntax, expected);
      const source = {
        transferSyntax: object.transferSyntax,
        format: f,
        frameCount,
        pixelData: pixelDataValues(dataset),
        ...(present === undefined ? {} : { declaredLength: present }),
        ...(NATIVE_SYNTAXES.has(object.transferSyntax) ? {} : { complete: encapsulatedDataComplete(bytes) }),
      };
      const { ctor, bytes: bytesPerVoxel } = VOXEL_TYPES[req.voxelType];
      for (const { frame, k, slope, intercept } of job.frames) {
        const stored = await decodeFrame(source, frame, reuseOrAllocate);
        // An identity rescale into the stored type sends the decoded frame itself.
        const identity = slope === 1 && intercept === 0 && stored instanceof ctor;
        const voxels = identity ? stored : new ctor(reuseOrAllocate(stored.length * bytesPerVoxel).buffer as ArrayBuffer);
        const { min, max } = identity ? valueRange(stored) : rescaleInto(stored, voxels, slope, intercept);
        if (!identity) keepSpare(stored.buffer as ArrayBuffer);
        post({ type: 'slice', k, voxels, min, max }, [voxels.buffer as ArrayBuffer]);
      }
    } catch (e) {
      post({ type: 'failed', path: job.path, message: e instanceof DicomFileError ? e.message : String(e) });
      return;
    }
  }
  post({ type: 'decoded' });
}

/**
 * Frame buffers main sent back (RecycleMessage) and stored frames once rescaled; a few suffice, as
 * main copies each slice at once.
 */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 8;
const reuseOrAllocate = (bytes: number): Uint8Array => {
  const i = spare.findIndex((b) => b.byteLength === bytes);
  return i < 0 ? new Uint8Array(bytes) : new Uint8Array(spare.splice(i, 1)[0] as ArrayBuffer);
};

const keepSpare = (buffer: ArrayBuffer): void => {
  if (spare.length < MAX_SPARE) spare.push(buffer);
};

port.on('message', (m: WorkerMessage) => {
  if (m.type === 'recycle') {
    keepSpare(m.buffer);
    return;
  }
  void (m.type === 'scan' ? scan(m) : decode(m));
});
