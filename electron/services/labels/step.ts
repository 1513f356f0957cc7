/**
 * One undoable step of label editing (a brush stroke, a fill, a model run, an undo): the voxel
 * diff plus the slice statuses it changed, and its compact binary form. The same deflated bytes
 * are the undo memo and the journal record, so a step costs its compressed diff and no more
 * (a model run over a whole volume compresses to a few hundred kilobytes).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { invertDiff, type LabelDiff } from './label-diff.js';

/** Status of a slice along the volume's axial axis. */
export const SliceStatus = { untouched: 0, auto: 1, corrected: 2, reviewed: 3 } as const;
export type SliceStatus = (typeof SliceStatus)[keyof typeof SliceStatus];

export interface StatusChange {
  readonly slices: Uint32Array;
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

export interface Step {
  readonly diff: LabelDiff;
  readonly status: StatusChange;
}

export const emptyStatus = (): StatusChange => ({ slices: new Uint32Array(0), before: new Uint8Array(0), after: new Uint8Array(0) });

export function invertStep(s: Step): Step {
  return { diff: invertDiff(s.diff), status: { slices: s.status.slices, before: s.status.after, after: s.status.before } };
}

export function encodeStep(s: Step): Buffer {
  const n = s.diff.indices.length;
  const m = s.status.slices.length;
  const raw = Buffer.alloc(8 + n * 4 + m * 4 + n * 4 + m * 2);
  raw.writeUInt32LE(n, 0);
  raw.writeUInt32LE(m, 4);
  let at = 8;
  const put = (a: Uint32Array | Uint8Array): void => {
    raw.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  };
  put(s.diff.indices);
  put(s.status.slices);
  put(s.diff.before);
  put(s.diff.after);
  put(s.diff.sourceBefore);
  put(s.diff.sourceAfter);
  put(s.status.before);
  put(s.status.after);
  return deflateRawSync(raw, { level: 1 });
}

export function decodeStep(bytes: Uint8Array): Step {
  const raw = inflateRawSync(bytes);
  const n = raw.readUInt32LE(0);
  const m = raw.readUInt32LE(4);
  if (raw.length !== 8 + n * 8 + m * 6) throw new Error('label step record has the wrong length');
  let at = 8;
  const u32 = (count: number): Uint32Array => {
    const a = new Uint32Array(count);
    new Uint8Array(a.buffer).set(raw.subarray(at, at + count * 4));
    at += count * 4;
    return a;
  };
  const u8 = (count: number): Uint8Array => {
    const a = Uint8Array.from(raw.subarray(at, at + count));
    at += count;
    return a;
  };
  const indices = u32(n);
  const slices = u32(m);
  return {
    diff: { indices, before: u8(n), after: u8(n), sourceBefore: u8(n), sourceAfter: u8(n) },
    status: { slices, before: u8(m), after: u8(m) },
  };
}

/**
 * One step with the effect of `a` then `b` (a brush stroke sent as many segments undoes as
 * one): per voxel the first `before` and the last `after`; voxels that end as they began drop out.
 */
export function mergeSteps(a: Step, b: Step): Step {
  const voxels = new Map<number, [number, number, number, number]>();
  const take = (s: Step): void =>
    s.diff.indices.forEach((i, n) => {
      const prev = voxels.get(i);
      voxels.set(i, [prev?.[0] ?? s.diff.before[n]!, s.diff.after[n]!, prev?.[2] ?? s.diff.sourceBefore[n]!, s.diff.sourceAfter[n]!]);
    });
  take(a);
  take(b);
  const kept = [...voxels].filter(([, v]) => v[0] !== v[1] || v[2] !== v[3]);
  const slices = new Map<number, [number, number]>();
  for (const s of [a, b]) {
    s.status.slices.forEach((z, n) => slices.set(z, [slices.get(z)?.[0] ?? s.status.before[n]!, s.status.after[n]!]));
  }
  const keptSlices = [...slices].filter(([, v]) => v[0] !== v[1]);
  return {
    diff: {
      indices: Uint32Array.from(kept, ([i]) => i),
      before: Uint8Array.from(kept, ([, v]) => v[0]),
      after: Uint8Array.from(kept, ([, v]) => v[1]),
      sourceBefore: Uint8Array.from(kept, ([, v]) => v[2]),
      sourceAfter: Uint8Array.from(kept, ([, v]) => v[3]),
    },
    status: {
      slices: Uint32Array.from(keptSlices, ([z]) => z),
      before: Uint8Array.from(keptSlices, ([, v]) => v[0]),
      after: Uint8Array.from(keptSlices, ([, v]) => v[1]),
    },
  };
}
