import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeStep, encodeStep, type Step } from './step.js';

/** A step over `indices` (label 0 → 5, source none → auto), two slices' status. */
function stepOver(indices: Uint32Array): Step {
  const n = indices.length;
  return {
    diff: { indices, before: new Uint8Array(n), after: new Uint8Array(n).fill(5), sourceBefore: new Uint8Array(n), sourceAfter: new Uint8Array(n).fill(1) },
    status: { slices: Uint32Array.of(3, 4), before: Uint8Array.of(0, 0), after: Uint8Array.of(1, 1) },
  };
}

describe('step encoding', () => {
  it('round-trips indices in any order (deltas wrap modulo 2^32)', () => {
    const indices = Uint32Array.of(7, 8, 9, 4_000_000_000, 2, 0, 4_294_967_295);
    const back = decodeStep(encodeStep(stepOver(indices)));
    expect(Array.from(back.diff.indices)).toEqual(Array.from(indices));
    expect(Array.from(back.status.slices)).toEqual([3, 4]);
    expect(back.diff.after.every((v) => v === 5)).toBe(true);
  });

  it('stores a dense model run in a small fraction of its index bytes', () => {
    // One organ-like block: 200 × 200 voxels on each of 40 slices of a 512 × 512 grid.
    const idx: number[] = [];
    for (let z = 0; z < 40; z++) for (let y = 150; y < 350; y++) for (let x = 100; x < 300; x++) idx.push(x + 512 * (y + 512 * z));
    const indices = Uint32Array.from(idx);
    const bytes = encodeStep(stepOver(indices)).length;
    const absolute = deflateRawSync(new Uint8Array(indices.buffer), { level: 1 }).length;
    expect(bytes).toBeLessThan(idx.length * 4 * 0.02);
    // The indices alone, stored as they are, deflate to several times the whole delta-coded step.
    expect(bytes * 4).toBeLessThan(absolute);
  });

  it('still reads records written before indices were delta-coded', () => {
    const indices = Uint32Array.of(10, 11, 500);
    const s = stepOver(indices);
    // The earlier layout: n, m, absolute indices, slices, then the byte arrays.
    const raw = Buffer.alloc(8 + 3 * 4 + 2 * 4 + 3 * 4 + 2 * 2);
    raw.writeUInt32LE(3, 0);
    raw.writeUInt32LE(2, 4);
    let at = 8;
    for (const a of [indices, s.status.slices, s.diff.before, s.diff.after, s.diff.sourceBefore, s.diff.sourceAfter, s.status.before, s.status.after]) {
      raw.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
      at += a.byteLength;
    }
    const back = decodeStep(deflateRawSync(raw));
    expect(Array.from(back.diff.indices)).toEqual([10, 11, 500]);
    expect(Array.from(back.status.after)).toEqual([1, 1]);
  });
});
