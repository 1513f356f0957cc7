/**
 * Test-host transport only: one WebSocket binary frame per message, a JSON header plus the raw
 * bytes of every typed array in it, so voxels cross as binary exactly as with Electron's
 * structured-clone IPC (never as JSON numbers). Runs in Node and in the browser.
 *
 * Frame: u32 header length (LE) | header UTF-8 | zero padding to 8 | typed-array bytes, each 8-aligned.
 */

const typedArrays = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypedName = keyof typeof typedArrays;
type Typed = InstanceType<(typeof typedArrays)[TypedName]>;

interface Blob {
  readonly $typed: TypedName;
  readonly offset: number;
  readonly length: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

function typedName(v: unknown): TypedName | null {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return null;
  const name = v.constructor.name;
  return name in typedArrays ? (name as TypedName) : null;
}

export function encode(value: unknown): ArrayBuffer {
  const blobs: Typed[] = [];
  let offset = 0;
  const header = JSON.stringify(value, (_k, v: unknown) => {
    const name = typedName(v);
    if (!name) return v;
    const t = v as Typed;
    const blob: Blob = { $typed: name, offset, length: t.length };
    blobs.push(t);
    offset = align8(offset + t.byteLength);
    return blob;
  });
  const headerBytes = new TextEncoder().encode(header);
  const start = align8(4 + headerBytes.length);
  const out = new Uint8Array(start + offset);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 4);
  let at = start;
  for (const t of blobs) {
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
    at = align8(at + t.byteLength);
  }
  return out.buffer;
}

export function decode(frame: ArrayBuffer): unknown {
  const length = new DataView(frame).getUint32(0, true);
  const header = new TextDecoder().decode(new Uint8Array(frame, 4, length));
  const start = align8(4 + length);
  return JSON.parse(header, (_k, v: unknown) => {
    if (v && typeof v === 'object' && '$typed' in v) {
      const b = v as Blob;
      const ctor = typedArrays[b.$typed];
      return new ctor(frame.slice(start + b.offset, start + b.offset + b.length * ctor.BYTES_PER_ELEMENT));
    }
    return v;
  });
}
