/**
 * One undoable step of label editing (a brush stroke, a fill, a model run, an undo): the voxel
 * diff plus the slice statuses it changed, and its compact binary form. The same deflated bytes
 * are the undo memo and the journal record, so a step costs its compressed diff and no more.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ModelId } from '../../../common/contract/segmentation.js';
import { invertDiff, type LabelDiff } from './label-diff.js';
import { parseModelId } from './model-id.js';

/** Status of a slice along the volume's axial axis. */
export const SliceStatus = { untouched: 0, auto: 1, corrected: 2, reviewed: 3 } as const;
export type SliceStatus = (typeof SliceStatus)[keyof typeof SliceStatus];

export interface StatusChange {
  readonly slices: Uint32Array;
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

/**
 * Which model (1-based index into the session's model list, 0 = none) last wrote each slice it
 * names; `model` is the model of the newest index, so a replayed journal can rebuild the list.
 */
export interface ModelChange {
  readonly slices: Uint32Array;
  readonly before: Uint16Array;
  readonly after: Uint16Array;
  readonly model: ModelId;
}

export interface Step {
  readonly diff: LabelDiff;
  readonly status: StatusChange;
  readonly models?: ModelChange;
}

export const emptyStatus = (): StatusChange => ({ slices: new Uint32Array(0), before: new Uint8Array(0), after: new Uint8Array(0) });

export function invertStep(s: Step): Step {
  const m = s.models;
  return {
    diff: invertDiff(s.diff),
    status: { slices: s.status.slices, before: s.status.after, after: s.status.before },
    ...(m ? { models: { slices: m.slices, before: m.after, after: m.before, model: m.model } } : {}),
  };
}

/**
 * Set in the status-count word when voxel indices are stored as differences from the previous
 * one (mod 2^32): runs of neighbouring voxels become runs of 1, which deflate to almost
 * nothing. Records written before (journals of an earlier version) lack it and still decode.
 */
const DELTA_INDICES = 0x80000000;

function deltas(indices: Uint32Array): Uint32Array {
  const out = new Uint32Array(indices.length);
  let prev = 0;
  for (let n = 0; n < indices.length; n++) {
    out[n] = (indices[n]! - prev) >>> 0;
    prev = indices[n]!;
  }
  return out;
}

function undoDeltas(a: Uint32Array): void {
  let prev = 0;
  for (let n = 0; n < a.length; n++) prev = a[n] = (prev + a[n]!) >>> 0;
}

export function encodeStep(s: Step): Buffer {
  const n = s.diff.indices.length;
  const m = s.status.slices.length;
  const k = s.models?.slices.length ?? 0;
  const name = Buffer.from(s.models ? JSON.stringify({ name: s.models.model.name, version: s.models.model.version }) : '', 'utf8');
  const raw = Buffer.alloc(8 + n * 4 + m * 4 + n * 4 + m * 2 + (s.models ? 4 + k * 8 + 2 + name.length : 0));
  raw.writeUInt32LE(n, 0);
  raw.writeUInt32LE((m | DELTA_INDICES) >>> 0, 4);
  let at = 8;
  const put = (a: Uint32Array | Uint8Array): void => {
    raw.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  };
  put(deltas(s.diff.indices));
  put(s.status.slices);
  put(s.diff.before);
  put(s.diff.after);
  put(s.diff.sourceBefore);
  put(s.diff.sourceAfter);
  put(s.status.before);
  put(s.status.after);
  if (s.models) {
    raw.writeUInt32LE(k, at);
    at += 4;
    put(s.models.slices);
    put(new Uint8Array(s.models.before.buffer, s.models.before.byteOffset, s.models.before.byteLength));
    put(new Uint8Array(s.models.after.buffer, s.models.after.byteOffset, s.models.after.byteLength));
    raw.writeUInt16LE(name.length, at);
    at += 2;
    put(name);
  }
  return deflateRawSync(raw, { level: 1 });
}

export function decodeStep(bytes: Uint8Array): Step {
  const raw = inflateRawSync(bytes);
  const n = raw.readUInt32LE(0);
  const flagged = raw.readUInt32LE(4);
  const m = (flagged & ~DELTA_INDICES) >>> 0;
  const base = 8 + n * 8 + m * 6;
  if (raw.length < base) throw new Error('label step record has the wrong length');
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
  if (flagged & DELTA_INDICES) undoDeltas(indices);
  const slices = u32(m);
  const step: Step = {
    diff: { indices, before: u8(n), after: u8(n), sourceBefore: u8(n), sourceAfter: u8(n) },
    status: { slices, before: u8(m), after: u8(m) },
  };
  if (at === raw.length) return step;
  const k = raw.readUInt32LE(at);
  at += 4;
  const modelSlices = u32(k);
  const u16 = (count: number): Uint16Array => {
    const a = new Uint16Array(count);
    new Uint8Array(a.buffer).set(raw.subarray(at, at + count * 2));
    at += count * 2;
    return a;
  };
  const before = u16(k);
  const after = u16(k);
  const len = raw.readUInt16LE(at);
  const model = parseModelId(raw.subarray(at + 2, at + 2 + len).toString('utf8'));
  return { ...step, models: { slices: modelSlices, before, after, model } };
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
