/**
 * NumPy .npz writer: a zip of .npy arrays, the container the Python trainer reads with
 * `np.load`. The .npy header is a fixed, documented format (magic, version 1.0, a Python dict
 * literal padded to 64 bytes); the zip is written by fflate.
 */
import { zipSync } from 'fflate';

export type NpyArray =
  | { readonly dtype: 'float32'; readonly data: Float32Array; readonly shape: readonly number[] }
  | { readonly dtype: 'uint8'; readonly data: Uint8Array; readonly shape: readonly number[] };

const DESCR = { float32: '<f4', uint8: '|u1' } as const;

export function encodeNpy(a: NpyArray): Uint8Array {
  const count = a.shape.reduce((p, n) => p * n, 1);
  if (count !== a.data.length) throw new Error(`npy: shape ${a.shape.join('×')} does not hold ${a.data.length} values`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let dict = `{'descr': '${DESCR[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + header length (2) + dict + '\n' is a multiple of 64.
  const pad = 64 - ((10 + dict.length + 1) % 64);
  dict += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + dict.length + a.data.byteLength);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(Buffer.from(dict, 'latin1'), 10);
  // .npy data is little-endian; so is every platform Node runs the workstation on.
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), 10 + dict.length);
  return out;
}

/** One .npz holding the named arrays (deflated, as `np.savez_compressed` writes). */
export function encodeNpz(arrays: Readonly<Record<string, NpyArray>>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, a] of Object.entries(arrays)) files[`${name}.npy`] = encodeNpy(a);
  return zipSync(files, { level: 6 });
}
