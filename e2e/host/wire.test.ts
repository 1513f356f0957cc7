import { describe, expect, it } from 'vitest';
import { decode, encode } from './wire.js';

describe('test-host wire codec', () => {
  it('round-trips typed arrays as raw bytes, with their type and values', () => {
    const voxels = Int16Array.from({ length: 1001 }, (_, i) => i * 37 - 15000);
    const msg = { id: 7, result: { ok: true, value: { volumeId: 'v', voxels, mask: new Uint8Array([1, 2, 3]), f: new Float32Array([0.5, -2]) } } };
    const frame = encode(msg);
    // Binary, not JSON numbers: the frame is about the size of the arrays.
    expect(frame.byteLength).toBeLessThan(voxels.byteLength + 400);
    const back = decode(frame) as typeof msg;
    expect(back.result.value.voxels).toBeInstanceOf(Int16Array);
    expect(back.result.value.voxels).toEqual(voxels);
    expect(back.result.value.mask).toEqual(new Uint8Array([1, 2, 3]));
    expect(back.result.value.f).toEqual(new Float32Array([0.5, -2]));
    expect(back.id).toBe(7);
  });

  it('keeps subarray views to their own elements', () => {
    const base = new Float64Array([1, 2, 3, 4, 5]);
    const back = decode(encode({ a: base.subarray(1, 3) })) as { a: Float64Array };
    expect(back.a).toEqual(new Float64Array([2, 3]));
  });
});
