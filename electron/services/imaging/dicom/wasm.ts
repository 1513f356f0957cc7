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
