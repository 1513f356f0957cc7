/**
 * Pixel data of one frame into its stored values, for every transfer syntax we accept, and
 * those values rescaled into the caller's array. No image decoder is written here: native data
 * is only byte-swapped and sliced; compressed data goes to well-kept WebAssembly builds of the
 * reference libraries:
 *   - JPEG 2000 (.4.90/.4.91): OpenJPEG via @cornerstonejs/codec-openjpeg (the fastest of the
 *     WASM builds we measured on the shared CT series; @abasb75/jpeg2000-decoder, the same
 *     OpenJPEG, was no faster and is not open source);
 *   - JPEG baseline/extended 12-bit/lossless (.4.50/.51/.57/.70), JPEG-LS (.4.80/.81), RLE
 *     (.5) and HTJ2K: DCMTK's IJG, CharLS and RLE codecs via dcmjs-codecs (the only package
 *     that decodes 12-bit JPEG extended, common in older CT/NM).
 *
 * Invariant: a decoded frame has rows×columns stored values of the type BitsAllocated and
 * PixelRepresentation name (fewer at a reduced JPEG 2000 level); `storeFrame` writes them
 * sign-extended (or masked) to BitsStored, exactly as pydicom's pixel_array, then rescaled.
 *
 * Rejected (thrown as `DicomFileError`): unknown transfer syntaxes, truncated native pixel data,
 * encapsulated data whose end marker is missing, fragments that do not split into frames, pixel
 * data whose form contradicts the transfer syntax, and decoder failures (corrupt streams).
 */
// e2e/tsconfig.json compiles these sources through imports and would not see the declarations.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./vendor.d.ts" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as DcmjsCodecsModule from 'dcmjs-codecs';
import type { OpenJpegFactory, OpenJpegModule } from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import type { VoxelArray } from '../../../contract/volume.js';
import type { PixelFormat } from './dataset.js';
import { DicomFileError } from './errors.js';
import { frameStreams, type PixelData } from './pixel-data.js';
import { JPEG_2000 as J2K, NATIVE, TRANSFER_SYNTAX_NAMES } from './transfer-syntax.js';
import { wasm, type WasmModule } from './wasm.js';

const require = createRequire(import.meta.url);

type DcmtkDecoder = 'decodeRle' | 'decodeJpeg' | 'decodeJpegLs' | 'decodeHtJpeg2000';
const DCMTK: Readonly<Record<string, DcmtkDecoder>> = {
  '1.2.840.10008.1.2.5': 'decodeRle',
  '1.2.840.10008.1.2.4.50': 'decodeJpeg',
  '1.2.840.10008.1.2.4.51': 'decodeJpeg',
  '1.2.840.10008.1.2.4.57': 'decodeJpeg',
  '1.2.840.10008.1.2.4.70': 'decodeJpeg',
  '1.2.840.10008.1.2.4.80': 'decodeJpegLs',
  '1.2.840.10008.1.2.4.81': 'decodeJpegLs',
  '1.2.840.10008.1.2.4.201': 'decodeHtJpeg2000',
  '1.2.840.10008.1.2.4.202': 'decodeHtJpeg2000',
  '1.2.840.10008.1.2.4.203': 'decodeHtJpeg2000',
};

export const isSupportedTransferSyntax = (uid: string): boolean => NATIVE.has(uid) || uid in DCMTK || J2K.has(uid);

type DcmjsCodecs = typeof DcmjsCodecsModule;
let openJpeg: Promise<OpenJpegModule> | null = null;
let dcmtk: Promise<DcmjsCodecs> | null = null;

/**
 * WASM codecs are instantiated once per thread, on first use. OpenJPEG is instantiated from the
 * module main compiled (`compiled`, see pool.ts) when there is one, so every thread runs the same
 * optimised code; else (a caller without a pool) it is compiled here from the package's file.
 * dcmjs-codecs takes only a file path, so it compiles per thread.
 */
function loadOpenJpeg(compiled?: WasmModule): Promise<OpenJpegModule> {
  openJpeg ??= (async () => {
    const factory = (require('@cornerstonejs/codec-openjpeg/decodewasmjs') as { default?: unknown }) as unknown;
    const create = (typeof factory === 'function' ? factory : (factory as { default: unknown }).default) as OpenJpegFactory;
    // OpenJPEG prints [INFO] lines for every frame; they are not errors.
    const quiet = { print: () => {}, printErr: () => {} };
    if (!compiled) return create({ ...quiet, wasmBinary: readFileSync(require.resolve('@cornerstonejs/codec-openjpeg/decodewasm')) });
    return create({
      ...quiet,
      // Emscripten's hook for bringing one's own instance: report it, return its exports.
      instantiateWasm: (imports, receive) => {
        const instance = new wasm.Instance(compiled, imports);
        receive(instance, compiled);
        return instance.exports;
      },
    });
  })();
  return openJpeg;
}

function loadDcmtk(): Promise<DcmjsCodecs> {
  dcmtk ??= (async () => {
    const codecs = require('dcmjs-codecs') as DcmjsCodecs;
    codecs.log.setLevel('error');
    const wasm = require.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm');
    await codecs.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: wasm, logCodecsInfo: false, logCodecsTrace: false });
    return codecs;
  })();
  return dcmtk;
}

/**
 * Load the codec a transfer syntax needs before the first frame. `openJpeg` is main's compiled
 * module; the first call on a thread decides which module that thread uses.
 */
export async function prepareCodec(transferSyntax: string, openJpegModule?: WasmModule): Promise<void> {
  if (J2K.has(transferSyntax)) await loadOpenJpeg(openJpegModule);
  else if (transferSyntax in DCMTK) await loadDcmtk();
}

export interface FrameSource {
  readonly transferSyntax: string;
  readonly format: PixelFormat;
  readonly frameCount: number;
  /** The file's Pixel Data element (pixel-data.ts). */
  readonly pixels: PixelData;
}

/** Stored values of one frame, little-endian, `width`×`height`; valid only inside `use`. */
export interface DecodedFrame {
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Decode one frame and hand its stored-value bytes to `use`, which must copy what it keeps: for
 * JPEG 2000 they are a view into the codec's WebAssembly memory (no copy out of it). `reduce`
 * asks JPEG 2000 for a resolution level 2^reduce times smaller (a thumbnail decodes only the
 * coarse wavelet levels); other syntaxes ignore it and give the full frame.
 */
export async function decodeFrame<T>(src: FrameSource, frame: number, use: (d: DecodedFrame) => T, reduce = 0): Promise<T> {
  const { format, transferSyntax } = src;
  const pixelCount = format.rows * format.columns;
  const bytesPerPixel = format.bitsAllocated / 8;
  const frameBytes = pixelCount * bytesPerPixel;
  const full = (bytes: Uint8Array): DecodedFrame => ({ bytes, width: format.columns, height: format.rows });
  if (src.pixels.kind === 'native') {
    if (!NATIVE.has(transferSyntax)) throw new DicomFileError('the pixel data is not compressed although the transfer syntax says it is');
    const all = src.pixels.value;
    const need = frameBytes * src.frameCount;
    const have = Math.min(all.length, src.pixels.declared);
    if (have < need) throw new DicomFileError(`the pixel data is truncated: ${need} bytes expected, ${have} present`);
    let bytes = all.subarray(frame * frameBytes, (frame + 1) * frameBytes);
    if (transferSyntax === '1.2.840.10008.1.2.2') {
      bytes = bytes.slice(); // never swap the caller's file buffer in place
      swapBytes(bytes, bytesPerPixel);
    }
    return use(full(bytes));
  }
  if (NATIVE.has(transferSyntax)) throw new DicomFileError('the pixel data is compressed although the transfer syntax says it is not');
  if (!src.pixels.complete) throw new DicomFileError('the compressed pixel data is truncated (its end marker is missing)');
  const encoded = frameStreams(src.pixels, src.frameCount)[frame];
  if (!encoded) throw new DicomFileError(`frame ${frame + 1} is missing from the compressed pixel data`);
  if (J2K.has(transferSyntax)) return decodeJ2k(encoded, format, reduce, use);
  const decoder = DCMTK[transferSyntax];
  if (!decoder) {
    throw new DicomFileError(`transfer syntax ${transferSyntax} (${TRANSFER_SYNTAX_NAMES[transferSyntax] ?? 'unknown'}) is not supported`);
  }
  const bytes = await decodeDcmtk(decoder, format, encoded);
  if (bytes.length < frameBytes) throw new DicomFileError(`the compressed frame decoded to ${bytes.length} bytes, ${frameBytes} expected`);
  return use(full(bytes));
}

async function decodeJ2k<T>(encoded: Uint8Array, f: PixelFormat, reduce: number, use: (d: DecodedFrame) => T): Promise<T> {
  const m = await loadOpenJpeg();
  const decoder = new m.J2KDecoder();
  const bytesPerPixel = f.bitsAllocated / 8;
  try {
    let decoded: DecodedFrame | undefined;
    try {
      decoder.getEncodedBuffer(encoded.length).set(encoded);
      // A stream with fewer wavelet levels than asked decodes to nothing (the header cannot be
      // read before decoding): ask one level less until the output has the promised size.
      for (let level = reduce; level > 0 && !decoded; level--) {
        decoder.decodeSubResolution(level, 0);
        const size = decoder.calculateSizeAtDecompositionLevel(level);
        const bytes = decoder.getDecodedBuffer();
        if (bytes.length >= size.width * size.height * bytesPerPixel) decoded = { bytes, width: size.width, height: size.height };
      }
      if (!decoded) {
        decoder.decode();
        decoded = { bytes: decoder.getDecodedBuffer(), width: f.columns, height: f.rows };
      }
    } catch (e) {
      throw new DicomFileError(`the JPEG 2000 stream is corrupt (${describeWasmError(e)})`);
    }
    const need = decoded.width * decoded.height * bytesPerPixel;
    if (decoded.bytes.length < need) throw new DicomFileError(`the compressed frame decoded to ${decoded.bytes.length} bytes, ${need} expected`);
    // This build copies the decoded pixels out of WASM memory; were it a view, `use` still reads
    // it before the decoder is freed.
    return use(decoded);
  } finally {
    decoder.delete();
  }
}

async function decodeDcmtk(decoder: DcmtkDecoder, f: PixelFormat, encoded: Uint8Array): Promise<Uint8Array> {
  const codecs = await loadDcmtk();
  const context = new codecs.Context({
    width: f.columns,
    height: f.rows,
    bitsAllocated: f.bitsAllocated,
    bitsStored: f.bitsStored,
    samplesPerPixel: f.samplesPerPixel,
    pixelRepresentation: f.pixelRepresentation,
    planarConfiguration: f.planarConfiguration,
    photometricInterpretation: f.photometric,
    encodedBuffer: encoded,
  });
  try {
    const out = codecs.NativeCodecs[decoder](context, {}).getDecodedBuffer();
    if (!out) throw new Error('no output');
    return out;
  } catch (e) {
    throw new DicomFileError(`the compressed pixel data is corrupt (${describeWasmError(e)})`);
  }
}

function describeWasmError(e: unknown): string {
  // Emscripten throws bare numbers (pointers) for C++ exceptions.
  if (typeof e === 'number') return 'decoder error';
  return e instanceof Error ? e.message : String(e);
}

/**
 * A typed-array view of little-endian stored values, of the type BitsAllocated and
 * PixelRepresentation name; a copy only when `bytes` is not aligned for that type.
 */
function storedView(bytes: Uint8Array, f: PixelFormat, count: number): VoxelArray {
  const width = f.bitsAllocated / 8;
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice(0, count * width);
  const { buffer, byteOffset } = aligned;
  const signed = f.pixelRepresentation === 1;
  switch (f.bitsAllocated) {
    case 8:
      return signed ? new Int8Array(buffer, byteOffset, count) : new Uint8Array(buffer, byteOffset, count);
    case 16:
      return signed ? new Int16Array(buffer, byteOffset, count) : new Uint16Array(buffer, byteOffset, count);
    default:
      return signed ? new Int32Array(buffer, byteOffset, count) : new Uint32Array(buffer, byteOffset, count);
  }
}

/**
 * Write a decoded frame's values, fixed to BitsStored (sign-extended or masked, as pydicom's
 * pixel_array) and rescaled, into `out` from `offset`: one pass, no intermediate array. When
 * nothing is to be fixed or rescaled and the types match, this is a plain copy.
 */
export function storeFrame(d: DecodedFrame, f: PixelFormat, out: VoxelArray, offset: number, slope: number, intercept: number): void {
  const count = d.width * d.height;
  const stored = storedView(d.bytes, f, count);
  const bits = f.bitsStored;
  const unused = f.bitsAllocated - bits;
  const sameType = Object.getPrototypeOf(stored) === Object.getPrototypeOf(out);
  if ((unused <= 0 || bits <= 0) && slope === 1 && intercept === 0 && sameType) {
    out.set(stored, offset);
    return;
  }
  // Bits above BitsStored may hold overlays or garbage: one loop per case keeps each monomorphic.
  if (unused <= 0 || bits <= 0) {
    for (let i = 0; i < count; i++) out[offset + i] = (stored[i] as number) * slope + intercept;
  } else if (f.pixelRepresentation === 1) {
    const shift = 32 - bits;
    for (let i = 0; i < count; i++) out[offset + i] = (((stored[i] as number) << shift) >> shift) * slope + intercept;
  } else {
    const mask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
    for (let i = 0; i < count; i++) out[offset + i] = (((stored[i] as number) & mask) >>> 0) * slope + intercept;
  }
}

function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 2) {
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const t = bytes[i] as number;
      bytes[i] = bytes[i + 1] as number;
      bytes[i + 1] = t;
    }
  } else if (width === 4) {
    for (let i = 0; i + 3 < bytes.length; i += 4) {
      const a = bytes[i] as number;
      const b = bytes[i + 1] as number;
      bytes[i] = bytes[i + 3] as number;
      bytes[i + 1] = bytes[i + 2] as number;
      bytes[i + 2] = b;
      bytes[i + 3] = a;
    }
  }
}
