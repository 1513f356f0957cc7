/**
 * The DICOM worker thread: reads and parses files (scan), decodes their frames (open) and makes
 * series thumbnails, so the main process never blocks on dcmjs or a WASM codec. Stateless
 * between requests except for the codec instances, a reused file buffer and a few slice buffers
 * main hands back (pool.ts keeps threads between requests).
 *
 * Why the decode does not parse the header again: the scan read it; decoding only needs the
 * Pixel Data element, which pixel-data.ts finds by walking element lengths.
 *
 * Invariant: every request ends with exactly one 'scanned', 'decoded', 'thumbnails-done' or
 * 'failed' reply; a bad file during a scan is reported in `unreadable`, a bad thumbnail slice
 * as a null thumbnail, never thrown.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { SeriesThumbnail } from '../../../contract/dicom.js';
import type { VoxelArray, VoxelType } from '../../../contract/volume.js';
import { decodeFrame, isSupportedTransferSyntax, prepareCodec, storeFrame, type FrameSource } from './codecs.js';
import { parseDicom, type ImageObject, type OtherObject } from './dataset.js';
import { NOT_DICOM } from './elements.js';
import { DicomFileError } from './errors.js';
import { locatePixelData } from './pixel-data.js';
import type { DecodeRequest, PixelSource, ScanRequest, ThumbnailRequest, ToWorker, WorkerReply } from './protocol.js';
import { makeThumbnail } from './thumbnail.js';
import { JPEG_2000, TRANSFER_SYNTAX_NAMES } from './transfer-syntax.js';

const port = parentPort;
if (!port) throw new Error('dicom worker: must run as a worker thread');
const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

/** One buffer for every file read, grown to the largest file; dropped after a huge one. */
let fileBuffer = Buffer.alloc(0);
const KEEP_FILE_BUFFER = 16 * 2 ** 20;

/**
 * The file's first `limit` bytes (all of it by default), as a view into the shared buffer: valid
 * until the next read. `whole` says whether that is the entire file.
 */
function read(path: string, limit = Infinity): { bytes: Uint8Array; whole: boolean } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const want = Math.min(size, limit);
    if (fileBuffer.length < want) fileBuffer = Buffer.allocUnsafeSlow(Math.max(want, Math.floor(fileBuffer.length * 1.5)));
    let got = 0;
    while (got < want) {
      const n = readSync(fd, fileBuffer, got, want - got, got);
      if (n === 0) break;
      got += n;
    }
    return { bytes: fileBuffer.subarray(0, got), whole: got >= size };
  } finally {
    closeSync(fd);
  }
}

const readWhole = (path: string): Uint8Array => read(path).bytes;

/**
 * Headers are read from the first HEAD_BYTES only: they end where the pixel data begins, and
 * an uncompressed 512×512 slice would otherwise be read twice (scan, then decode). A header that
 * does not fit (or any error on the head alone, such as a deflated stream cut short) is parsed
 * again from the whole file, whose verdict stands.
 */
const HEAD_BYTES = 64 * 1024;

function parseHeader(path: string): ReturnType<typeof parseDicom> {
  const head = read(path, HEAD_BYTES);
  if (head.whole) return parseDicom(path, head.bytes);
  try {
    return parseDicom(path, head.bytes, false);
  } catch (e) {
    // The first 132 bytes decide that a file is no DICOM: a large one is not read whole for it.
    if (e instanceof DicomFileError && e.message === NOT_DICOM) throw e;
    return parseDicom(path, readWhole(path));
  }
}

function releaseFileBuffer(): void {
  if (fileBuffer.length > KEEP_FILE_BUFFER) fileBuffer = Buffer.alloc(0);
}

async function scan(req: ScanRequest): Promise<void> {
  const images: ImageObject[] = [];
  const others: OtherObject[] = [];
  const unreadable: { file: string; reason: string }[] = [];
  let done = 0;
  const syntaxes = new Set<string>();
  for (const path of req.files) {
    try {
      const { object } = parseHeader(path);
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
  releaseFileBuffer();
  post({ type: 'scanned', images, others, unreadable });
}

type Ctor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => VoxelArray;
const CTORS: Readonly<Record<VoxelType, Ctor & { BYTES_PER_ELEMENT: number }>> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** Slice buffers main has copied and handed back; a few are kept, of the current slice size. */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 8;

function sliceBuffer(bytes: number): ArrayBuffer {
  for (let b = spare.pop(); b; b = spare.pop()) if (b.byteLength === bytes) return b;
  return new ArrayBuffer(bytes);
}

/** The file's pixel data and codec, ready for `decodeFrame`. */
async function open(src: PixelSource, openJpeg: DecodeRequest['openJpeg']): Promise<FrameSource> {
  const pixels = locatePixelData(readWhole(src.path), src.transferSyntax);
  await prepareCodec(src.transferSyntax, openJpeg);
  return { transferSyntax: src.transferSyntax, format: src.format, frameCount: src.frameCount, pixels };
}

async function decode(req: DecodeRequest): Promise<void> {
  const ctor = CTORS[req.voxelType];
  try {
    for (const job of req.jobs) {
      try {
        const source = await open(job, req.openJpeg);
        const count = job.format.rows * job.format.columns;
        for (const { frame, k, slope, intercept } of job.frames) {
          const voxels = new ctor(sliceBuffer(count * ctor.BYTES_PER_ELEMENT), 0, count);
          await decodeFrame(source, frame, (d) => storeFrame(d, job.format, voxels, 0, slope, intercept));
          post({ type: 'slice', k, voxels }, [voxels.buffer as ArrayBuffer]);
        }
      } catch (e) {
        post({ type: 'failed', path: job.path, message: e instanceof DicomFileError ? e.message : String(e) });
        return;
      }
    }
    post({ type: 'decoded' });
  } finally {
    releaseFileBuffer();
  }
}

/** log2 of how much smaller than the slice a JPEG 2000 thumbnail may decode. */
function reduction(src: PixelSource, size: number): number {
  if (!JPEG_2000.has(src.transferSyntax)) return 0;
  return Math.max(0, Math.floor(Math.log2(Math.max(src.format.rows, src.format.columns) / size)));
}

async function thumbnails(req: ThumbnailRequest): Promise<void> {
  for (const job of req.jobs) {
    let thumbnail: SeriesThumbnail | null = null;
    try {
      const source = await open(job, req.openJpeg);
      thumbnail = await decodeFrame(
        source,
        job.frame,
        (d) => {
          const values = new Float32Array(d.width * d.height);
          storeFrame(d, job.format, values, 0, job.slope, job.intercept);
          return makeThumbnail(values, d.width, d.height, { size: req.size, pixelSpacing: job.pixelSpacing, window: job.window, photometric: job.format.photometric });
        },
        reduction(job, req.size),
      );
    } catch {
      // The series is listed without a thumbnail; opening it reports what is wrong.
    }
    post({ type: 'thumbnail', series: job.series, thumbnail }, thumbnail ? [thumbnail.pixels.buffer] : []);
  }
  releaseFileBuffer();
  post({ type: 'thumbnails-done' });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'recycle') {
    if (spare.length < MAX_SPARE) spare.push(m.buffer);
    return;
  }
  void (m.type === 'scan' ? scan(m) : m.type === 'decode' ? decode(m) : thumbnails(m));
});
