/**
 * The last runs' uncertainty of a study on disk, beside its label session (snapshot and journal),
 * so the overlay and the review queue survive a restart. One file, replaced atomically after each
 * merged run: a little-endian u32 header length, a JSON header, and a raw-deflate body (fflate,
 * compressed in a worker) holding the per-slice uncertainty (f64, status axis; absent before a
 * status-axis run), its tags (u16), the entropy's tags (u16) and the per-voxel entropy (u8;
 * absent before a run with entropy). Tags index the header's list of runs (the session's
 * `models`), kept on read only where the session's entry at that index is the same model.
 *
 * Rejected on read (the study opens without them, labels untouched): a file of another format,
 * volume size or status axis, a body whose SHA-256 differs (truncated or damaged), or one that
 * inflates to another length. A missing file is no error.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflate, inflate } from 'fflate';
import type { ModelId } from '../../../common/contract/segmentation.js';
import type { Vec3 } from '../../../common/geometry.js';
import { parseModelId, sameModel } from '../labels/model-id.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { RunUncertainty } from './run-uncertainty.js';

export const UNCERTAINTY_FILE = 'uncertainty.bin';
const FORMAT = 'hsam-uncertainty/1';

interface Header {
  readonly format: string;
  readonly dims: number[];
  readonly statusAxis: number;
  /** The session's models when written; tags are 1-based indices into it. */
  readonly models: unknown[];
  /** Slices of per-slice uncertainty and voxels of entropy in the body (0: none kept). */
  readonly slices: number;
  readonly voxels: number;
  readonly bodyBytes: number;
  readonly sha256: string;
}

const asBytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const deflateAsync = (data: Uint8Array): Promise<Uint8Array> =>
  new Promise((res, rej) => deflate(data, { level: 1, consume: true }, (e, out) => (e ? rej(e) : res(out))));
const inflateAsync = (data: Uint8Array, size: number): Promise<Uint8Array> =>
  new Promise((res, rej) => inflate(data, { size }, (e, out) => (e ? rej(e) : res(out))));

/**
 * Write `kept` into the session folder `dir`; `models` is the session's list its tags index. The
 * arrays are copied before this returns its promise's first await, so later runs may change them.
 */
export async function writeUncertainty(dir: string, kept: RunUncertainty, models: readonly ModelId[]): Promise<void> {
  const u = kept.uncertainty;
  const e = kept.entropy;
  const parts = [u ? asBytes(u) : new Uint8Array(0), asBytes(kept.uncertaintyFrom), asBytes(kept.entropyFrom), e ?? new Uint8Array(0)];
  const raw = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    raw.set(p, at);
    at += p.length;
  }
  const body = await deflateAsync(raw);
  const header: Header = {
    format: FORMAT,
    dims: [...kept.dims],
    statusAxis: kept.statusAxis,
    models: [...models],
    slices: u?.length ?? 0,
    voxels: e?.length ?? 0,
    bodyBytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  await writeFileAtomic(join(dir, UNCERTAINTY_FILE), [len, json, body]);
}

/**
 * The kept uncertainty of the session folder `dir` for a volume of `dims` (statuses along
 * `statusAxis`) whose session has `models`; null when there is no file. Throws with the reason
 * when the file is there but cannot be used.
 */
export async function readUncertainty(dir: string, dims: Vec3, statusAxis: 0 | 1 | 2, models: readonly ModelId[]): Promise<RunUncertainty | null> {
  const bytes = await readFile(join(dir, UNCERTAINTY_FILE)).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (!bytes) return null;
  if (bytes.length < 4) throw new Error('the file is truncated');
  const len = bytes.readUInt32LE(0);
  if (4 + len > bytes.length) throw new Error('the file is truncated');
  const h = JSON.parse(bytes.subarray(4, 4 + len).toString('utf8')) as Header;
  const d = dims[statusAxis];
  const n = dims[0] * dims[1] * dims[2];
  if (h.format !== FORMAT) throw new Error(`unknown format ${String(h.format)}`);
  if (h.dims?.join() !== dims.join() || h.statusAxis !== statusAxis) throw new Error(`it belongs to a volume of another size (${h.dims?.join('×')})`);
  if ((h.slices !== 0 && h.slices !== d) || (h.voxels !== 0 && h.voxels !== n)) throw new Error('its arrays do not fit the volume');
  const body = bytes.subarray(4 + len);
  if (body.length !== h.bodyBytes || createHash('sha256').update(body).digest('hex') !== h.sha256) throw new Error('the file is truncated or damaged');
  const size = 8 * h.slices + 4 * d + h.voxels;
  const raw = await inflateAsync(body, size);
  if (raw.length !== size) throw new Error('the file is damaged');

  // Tags name entries (runs) of the writer's list. The session rebuilds the same append-only list
  // from its snapshot and journal, so an index keeps its meaning; one that no longer names the same
  // model (another session's file) tags nothing. Matching by model alone would confuse two runs of one model.
  const written = h.models.map(parseModelId);
  const remap = (tag: number): number => {
    const w = tag > 0 ? written[tag - 1] : undefined;
    const m = tag > 0 ? models[tag - 1] : undefined;
    return w && m && sameModel(w, m) ? tag : 0;
  };
  const kept = new RunUncertainty(dims, statusAxis);
  // Copied out (slice) so every view is aligned and owns its memory.
  let at = 0;
  const take = (bytes: number): ArrayBuffer => raw.slice(at, (at += bytes)).buffer;
  if (h.slices > 0) kept.uncertainty = new Float64Array(take(8 * h.slices));
  kept.uncertaintyFrom = new Uint16Array(take(2 * d)).map(remap);
  kept.entropyFrom = new Uint16Array(take(2 * d)).map(remap);
  if (h.voxels > 0) kept.entropy = new Uint8Array(take(h.voxels));
  return kept;
}
