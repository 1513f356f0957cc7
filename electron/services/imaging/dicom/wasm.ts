import { setFlagsFromString } from 'node:v8';

/**
 * Node's WebAssembly global, typed as narrowly as the DICOM codecs use it: TypeScript declares it
 * only in its DOM and webworker libs, which service code does not load (and @types/node 20 does
 * not declare it).
 */

/** A compiled module. Posting it to a worker thread shares its compiled code, never copies it. */
export interface WasmModule {
  readonly __brand: 'WebAssembly.Module';
}
export type WasmImports = Record<string, Record<string, unknown>>;
export type WasmExports = Record<string, unknown>;
export interface WasmInstance {
  readonly exports: WasmExports;
}

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  readonly Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
}

export const wasm = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly;

/**
 * Run this process's WebAssembly on V8's baseline compiler (Liftoff) only; call once at start,
 * before any module is compiled (the app's main, the CLI, the test host). Worker threads share
 * the setting: V8's flags are per process. Node and Electron's main both leave them writable.
 *
 * Why, measured on the project's 2-core machine: OpenJPEG decodes a 512² frame of the shared CT
 * in 38 ms on Liftoff code and in 42.5 ms once TurboFan has optimised it, and that optimisation
 * costs ~0.5 s of CPU and ~25 MB (its compile zones) during every process's first decode. A
 * 200-slice JPEG 2000 series: 5.64 → 5.1 s, peak 253 → 230 MB; 20 slices: 1.14 → 0.95 s. The
 * price is paid by the dcmjs-codecs decoders, whose loops TurboFan does speed up: 100 JPEG-LS
 * slices 1.43 → 1.70 s, JPEG lossless and RLE ~6 % slower. JPEG 2000 is the common compressed
 * syntax in CT archives (and the shared series'), so it wins.
 */
export function useBaselineWasmCompiler(): void {
  setFlagsFromString('--liftoff-only');
}
