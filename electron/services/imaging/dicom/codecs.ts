/**
 * Pixel data of one frame into its stored values, for every transfer syntax we accept. No
 * image decoder is written here: native data is only byte-swapped and sliced; compressed data
 * goes to well-kept WebAssembly builds of the reference libraries:
 *   - JPEG 2000 (.4.90/.4.91): OpenJPEG via @cornerstonejs/codec-openjpeg (the fastest of the
 *     WASM builds we measured on the shared CT series);
 *   - JPEG baseline/extended 12-bit/lossless (.4.50/.51/.57/.70), JPEG-LS (.4.80/.81), RLE
 *     (.5) and HTJ2K: DCMTK's IJG, CharLS and RLE codecs via dcmjs-codecs (the only package
 *     that decodes 12-bit JPEG extended, common in older CT/NM).
 *
 * Invariant: the result has rows×columns elements of the type BitsAllocated/PixelRepresentation
 * name, with values sign-extended (or masked) to BitsStored, exactly as pydicom's pixel_array.
 *
 * Rejected (thrown as `DicomFileError`): unknown transfer syntaxes, truncated native pixel data,
 * fragments that do not split into frames, and decoder failures (corrupt streams).
 */
// e2e/tsconfig.json compiles these sources through imports and would not see the declarations.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./vendor.d.ts" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as DcmjsCodecsModule from 'dcmjs-codecs';
import type { OpenJpegFactory, OpenJpegModule } from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import type { VoxelArray } from '../../../../common/contract/volume.js';
import { DicomFileError, type PixelFormat } from './dataset.js';
import { JPEG_2000 as J2K, NATIVE_SYNTAXES as NATIVE, TRANSFER_SYNTAX_NAMES } from './transfer-syntax.js';
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
  /** The values of the pixel data element (one for native data, fragments or frames otherwise). */
  readonly pixelData: readonly Uint8Array[];
  /** Bytes the native pixel data element declares, when it could be read from the file. */
  readonly declaredLength?: number;
  /** Encapsulated data: false when the file ends before the sequence delimiter. */
  readonly complete?: boolean;
}

/** Returns a zeroed or reused Uint8Array of `bytes` bytes that owns its whole buffer. */
export type FrameAllocator = (bytes: number) => Uint8Array;
const freshFrame: FrameAllocator = (bytes) => new Uint8Array(bytes);

/** One frame's stored values, in a buffer from `allocate` for native and JPEG 2000 data. */
export async function decodeFrame(src: FrameSource, frame: number, allocate: FrameAllocator = freshFrame): Promise<VoxelArray> {
  const { format, transferSyntax } = src;
  const pixelCount = format.rows * format.columns;
  const bytesPerPixel = format.bitsAllocated / 8;
  const frameBytes = pixelCount * bytesPerPixel;
  let bytes: Uint8Array;
  if (NATIVE.has(transferSyntax)) {
    const all = src.pixelData[0];
    const need = frameBytes * src.frameCount;
    const have = Math.min(all?.length ?? 0, src.declaredLength ?? Infinity);
    if (!all || have < need) {
      throw new DicomFileError(`the pixel data is truncated: ${need} bytes expected, ${have} present`);
    }
    bytes = allocate(frameBytes);
    bytes.set(all.subarray(frame * frameBytes, (frame + 1) * frameBytes));
    if (transferSyntax === '1.2.840.10008.1.2.2') swapBytes(bytes, bytesPerPixel);
  } else {
    if (src.complete === false) throw new DicomFileError('the compressed pixel data is truncated (its end marker is missing)');
    const encoded = frameFragments(src, frame);
    if (J2K.has(transferSyntax)) bytes = await decodeJ2k(encoded, allocate);
    else {
      const decoder = DCMTK[transferSyntax];
      if (!decoder) {
        throw new DicomFileError(`transfer syntax ${transferSyntax} (${TRANSFER_SYNTAX_NAMES[transferSyntax] ?? 'unknown'}) is not supported`);
      }
      bytes = await decodeDcmtk(decoder, format, encoded);
    }
    if (bytes.length < frameBytes) {
      throw new DicomFileError(`the compressed frame decoded to ${bytes.length} bytes, ${frameBytes} expected`);
    }
  }
  return storedValues(bytes, format, pixelCount);
}

/** The encoded bytes of one frame: dcmjs already splits fragments per frame when it can. */
function frameFragments(src: FrameSource, frame: number): Uint8Array {
  const values = src.pixelData;
  if (src.frameCount === 1) return values.length === 1 ? (values[0] as Uint8Array) : Buffer.concat(values);
  if (values.length !== src.frameCount) {
    throw new DicomFileError(`${values.length} compressed fragments cannot be split into ${src.frameCount} frames`);
  }
  return values[frame] as Uint8Array;
}

async function decodeJ2k(encoded: Uint8Array, allocate: FrameAllocator): Promise<Uint8Array> {
  const m = await loadOpenJpeg();
  const decoder = new m.J2KDecoder();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    // The decoded buffer is a view into WASM memory: copy it out before the decoder is freed.
    const decoded = decoder.getDecodedBuffer();
    const out = allocate(decoded.length);
    out.set(decoded);
    return out;
  } catch (e) {
    throw new DicomFileError(`the JPEG 2000 stream is corrupt (${describeWasmError(e)})`);
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

/** Little-endian bytes into a typed array of the stored type, fixed to BitsStored. */
function storedValues(bytes: Uint8Array, f: PixelFormat, count: number): VoxelArray {
  const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
  const signed = f.pixelRepresentation === 1;
  let out: VoxelArray;
  switch (f.bitsAllocated) {
    case 8:
      out = signed ? new Int8Array(buffer, 0, count) : new Uint8Array(buffer, 0, count);
      break;
    case 16:
      out = signed ? new Int16Array(buffer, 0, count) : new Uint16Array(buffer, 0, count);
      break;
    default:
      out = signed ? new Int32Array(buffer, 0, count) : new Uint32Array(buffer, 0, count);
  }
  const unused = f.bitsAllocated - f.bitsStored;
  if (unused > 0 && f.bitsStored > 0) {
    // Bits above BitsStored may hold overlays or garbage: sign-extend or mask them away.
    if (signed) {
      const shift = 32 - f.bitsStored;
      for (let i = 0; i < out.length; i++) out[i] = ((out[i] as number) << shift) >> shift;
    } else {
      const mask = f.bitsStored >= 32 ? 0xffffffff : 2 ** f.bitsStored - 1;
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) & mask;
    }
  }
  return out;
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

/**
 * Bytes of native pixel data actually present in the file. dcmjs pads a truncated element with
 * zeros, so we find the element ourselves: the first PixelData tag whose declared length covers
 * the expected frames (icon images inside sequences declare less), then compare with what the
 * file holds after it. Undefined when the element cannot be located (deflated data).
 */
export function nativePixelBytesPresent(file: Uint8Array, transferSyntax: string, expected: number): number | undefined {
  if (!NATIVE.has(transferSyntax) || transferSyntax === '1.2.840.10008.1.2.1.99') return undefined;
  const bigEndian = transferSyntax === '1.2.840.10008.1.2.2';
  const implicit = transferSyntax === '1.2.840.10008.1.2';
  const tag = bigEndian ? [0x7f, 0xe0, 0x00, 0x10] : [0xe0, 0x7f, 0x10, 0x00];
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  for (let i = 132; i + 8 <= file.length; i++) {
    if (file[i] !== tag[0] || file[i + 1] !== tag[1] || file[i + 2] !== tag[2] || file[i + 3] !== tag[3]) continue;
    let declared: number;
    let start: number;
    if (implicit) {
      declared = view.getUint32(i + 4, true);
      start = i + 8;
    } else {
      const vr = String.fromCharCode(file[i + 4] as number, file[i + 5] as number);
      if ((vr !== 'OW' && vr !== 'OB') || i + 12 > file.length) continue;
      declared = view.getUint32(i + 8, !bigEndian);
      start = i + 12;
    }
    if (declared === 0xffffffff || declared < expected) continue;
    return Math.min(declared, file.length - start);
  }
  return undefined;
}

/**
 * Whether encapsulated pixel data ends with its Sequence Delimitation Item. dcmjs pads a cut
 * file with zeros and JPEG 2000 decodes a cut codestream at lower quality without complaint, so
 * without this check a truncated file would open with wrong voxels.
 */
export function encapsulatedDataComplete(file: Uint8Array): boolean {
  for (let i = file.length - 8; i >= 132; i--) {
    if (file[i] === 0xfe && file[i + 1] === 0xff && file[i + 2] === 0xdd && file[i + 3] === 0xe0) {
      return file[i + 4] === 0 && file[i + 5] === 0 && file[i + 6] === 0 && file[i + 7] === 0;
    }
  }
  return false;
}
