/**
 * The label volume of one study, owned by main: final labels, who set each voxel (model or
 * human), per-slice review status, the undo/redo ring and the on-disk journal.
 *
 * Invariants: a step is journaled (fsync) before it changes memory or is acknowledged; the
 * undo ring holds compressed steps only (never copies of the volume) and is bounded in steps
 * and bytes; re-running the model never overwrites locked classes, reviewed slices or voxels a
 * human set, unless asked to. Undo and redo are steps too, so the journal replays them. Apart
 * from undo, only a revert to the model's proposal makes a human-set voxel model-set (or unset).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { UserFacingError } from '../../../common/contract/result.js';
import type { ModelId } from '../../../common/contract/segmentation.js';
import type { Vec3 } from '../../../common/geometry.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { Journal, readJournal } from './journal.js';
import { applyDiff, makeDiff, makeSetDiff, Source, type CandidateVisitor, type LabelDiff } from './label-diff.js';
import { parseModelId } from './model-id.js';
import { decodeStep, emptyStatus, encodeStep, invertStep, mergeSteps, SliceStatus, type Step } from './step.js';

export interface LabelSessionOptions {
  /** Folder of this study's session files (snapshot and journal). */
  readonly dir: string;
  readonly dims: Vec3;
  /** The voxel axis slice statuses run along (the axial one). */
  readonly statusAxis: 0 | 1 | 2;
  readonly maxUndoSteps?: number;
  readonly maxUndoBytes?: number;
}

/**
 * A correction tool's result (tools/plan.ts): set voxels to a value as a human edit, or put
 * voxels a human set back to the model's proposal under them (`origin`).
 */
export type LabelEdit =
  | { readonly kind: 'set'; readonly indices: Uint32Array; readonly value: number; readonly stroke?: string }
  /** One class's new shape (3D helpers): `add` (not of the class now) to `value`, `remove` (of it now) to 0. */
  | { readonly kind: 'change'; readonly add: Uint32Array; readonly remove: Uint32Array; readonly value: number }
  | { readonly kind: 'revert'; readonly indices: Uint32Array };

export interface RestoreReport {
  readonly fromSnapshot: boolean;
  readonly journalRecords: number;
  readonly discardedBytes: number;
}

const SNAPSHOT = 'labels.snapshot';
const JOURNAL = 'labels.journal';
const SNAPSHOT_FORMAT = 'hsam-labels/2';
/** Snapshots before `origin` was kept; they restore with no proposal under human voxels. */
const SNAPSHOT_FORMAT_1 = 'hsam-labels/1';

export class LabelSession {
  readonly labels: Uint8Array;
  readonly source: Uint8Array;
  readonly sliceStatus: Uint8Array;
  /**
   * Under each voxel a human set, the class it had before the first human edit: the model's
   * proposal there (0 where the model proposed nothing). Meaningless where `source` is not
   * human. Kept so an export can tell corrected from untouched classes (an erase leaves no
   * class behind) and a class can be reverted to the proposal.
   */
  readonly origin: Uint8Array;
  /** Per slice (status axis): 1-based index into `models` of the model run that last wrote it; 0 none. */
  readonly sliceModel: Uint16Array;
  /**
   * One entry per merged model run (or proposal import) that wrote labels, in order: a rerun of
   * the same model is a new entry, so a slice's attribution names the run (what the kept
   * uncertainty of that run describes). Sessions written before this kept one entry per model.
   */
  readonly models: ModelId[] = [];
  readonly lockedClasses = new Set<number>();
  #undo: Buffer[] = [];
  #redo: Buffer[] = [];
  #undoBytes = 0;
  #revision = 0;
  /** Mutations run one at a time: a save never interleaves with an edit's journal write. */
  #queue: Promise<unknown> = Promise.resolve();
  /** The brush stroke the last undo step belongs to; its next segment joins that step. */
  #stroke: string | null = null;
  readonly #sliceStride: number;

  private constructor(
    readonly opts: LabelSessionOptions,
    private readonly journal: Journal,
  ) {
    const [nx, ny, nz] = opts.dims;
    this.labels = new Uint8Array(nx * ny * nz);
    this.source = new Uint8Array(nx * ny * nz);
    this.origin = new Uint8Array(nx * ny * nz);
    this.sliceStatus = new Uint8Array(opts.dims[opts.statusAxis]);
    this.sliceModel = new Uint16Array(opts.dims[opts.statusAxis]);
    this.#sliceStride = [1, nx, nx * ny][opts.statusAxis] as number;
  }

  /** Open the session folder; restores a snapshot and replays the journal when there is one. */
  static async open(opts: LabelSessionOptions): Promise<{ session: LabelSession; restored: RestoreReport | null }> {
    await mkdir(opts.dir, { recursive: true });
    const journalPath = join(opts.dir, JOURNAL);
    const replay = await readJournal(journalPath);
    const session = new LabelSession(opts, await Journal.open(journalPath));
    const fromSnapshot = await session.#loadSnapshot();
    for (const r of replay.records) session.#apply(decodeStep(r));
    const restored = fromSnapshot || replay.records.length > 0 ? { fromSnapshot, journalRecords: replay.records.length, discardedBytes: replay.discardedBytes } : null;
    return { session, restored };
  }

  get revision(): number {
    return this.#revision;
  }

  get canUndo(): boolean {
    return this.#undo.length > 0;
  }

  get canRedo(): boolean {
    return this.#redo.length > 0;
  }

  /** Bytes the undo and redo history hold. */
  get historyBytes(): number {
    return this.#undoBytes + this.#redo.reduce((a, b) => a + b.length, 0);
  }

  sliceOf(index: number): number {
    return Math.floor(index / this.#sliceStride) % this.sliceStatus.length;
  }

  /**
   * A human edit: set `indices` to `value` (0 erases). Voxels of locked classes are left alone,
   * both ways. Untouched and model-labelled slices it reaches become corrected. Segments of
   * one brush stroke (same `stroke` id, nothing in between) are one undo step; each segment is
   * still journaled on its own before it returns.
   */
  paint(indices: Uint32Array, value: number, stroke?: string): Promise<Step> {
    return this.#exclusive(() => this.#paintNow(indices, value, stroke));
  }

  /**
   * A correction tool's edit as one step (one segment of its stroke, for a threshold brush).
   * `compute` runs after every earlier edit has landed, so it sees the labels the user sees.
   * A set is a paint (source human, locked classes kept, slices corrected); a revert puts
   * human-set voxels back to the proposal under them (source auto, or none where that is
   * background), keeps locked classes and leaves slice statuses alone: the slice was still
   * looked at by a human. An edit that changes nothing is not journaled and is no undo step.
   */
  edit(compute: () => LabelEdit): Promise<Step> {
    return this.#exclusive(async () => {
      const e = compute();
      if (e.kind === 'set') return this.#paintNow(e.indices, e.value, e.stroke, true);
      if (e.kind === 'change') return this.#paintDiff(this.#changeDiff(e), undefined, true);
      const step = { diff: this.#revertDiff(e.indices), status: emptyStatus() };
      return step.diff.indices.length === 0 ? step : this.#commit(step);
    });
  }

  /**
   * What `edit(compute)` would change, after every earlier edit has landed, without applying or
   * journaling anything (a tool's preview). Locked classes are left out, as the edit would.
   */
  preview(compute: () => LabelEdit): Promise<LabelDiff> {
    return this.#exclusive(async () => {
      const e = compute();
      if (e.kind === 'set') return makeSetDiff(this.labels, this.source, e.indices, e.value, Source.human, this.lockedClasses);
      if (e.kind === 'change') return this.#changeDiff(e);
      return this.#revertDiff(e.indices);
    });
  }

  /** The two halves of a class change are disjoint (one is of the class, the other not): one diff. */
  #changeDiff(e: { add: Uint32Array; remove: Uint32Array; value: number }): LabelDiff {
    const a = makeSetDiff(this.labels, this.source, e.add, e.value, Source.human, this.lockedClasses);
    const r = makeSetDiff(this.labels, this.source, e.remove, 0, Source.human, this.lockedClasses);
    const cat = <T extends Uint8Array | Uint32Array>(x: T, y: T): T => {
      const out = new (x.constructor as new (n: number) => T)(x.length + y.length);
      out.set(x);
      out.set(y, x.length);
      return out;
    };
    return {
      indices: cat(a.indices, r.indices),
      before: cat(a.before, r.before),
      after: cat(a.after, r.after),
      sourceBefore: cat(a.sourceBefore, r.sourceBefore),
      sourceAfter: cat(a.sourceAfter, r.sourceAfter),
    };
  }

  #revertDiff(indices: Uint32Array): LabelDiff {
    const { labels, source, origin } = this;
    const locked = this.lockedClasses;
    const visit: CandidateVisitor = (emit) => {
      for (let n = 0; n < indices.length; n++) {
        const i = indices[n]!;
        if (source[i] === Source.human) emit(i, origin[i]!, origin[i] === 0 ? Source.none : Source.auto);
      }
    };
    return makeDiff(labels, source, visit, (_i, cur, next) => locked.has(cur) || locked.has(next));
  }

  async #paintNow(indices: Uint32Array, value: number, stroke?: string, skipEmpty = false): Promise<Step> {
    // An erase is a human decision too: the model must not paint the voxel back.
    return this.#paintDiff(makeSetDiff(this.labels, this.source, indices, value, Source.human, this.lockedClasses), stroke, skipEmpty);
  }

  async #paintDiff(diff: LabelDiff, stroke: string | undefined, skipEmpty: boolean): Promise<Step> {
    const hit = new Uint8Array(this.sliceStatus.length);
    for (let n = 0; n < diff.indices.length; n++) hit[this.sliceOf(diff.indices[n]!)] = 1;
    const touched = new Set<number>();
    hit.forEach((h, z) => h && touched.add(z));
    const step = { diff, status: this.#statusChange(touched, (s) => (s === SliceStatus.reviewed ? s : SliceStatus.corrected)) };
    if (skipEmpty && diff.indices.length === 0) return step;
    const last = this.#undo.at(-1);
    if (stroke === undefined || stroke !== this.#stroke || !last) {
      const committed = await this.#commit(step);
      this.#stroke = stroke ?? null;
      return committed;
    }
    // Same stroke: journal this segment, then fold it into the stroke's undo step.
    await this.#durably(step);
    this.#undo.pop();
    this.#undoBytes -= last.length;
    this.#pushUndo(encodeStep(mergeSteps(decodeStep(last), step)));
    this.#redo = [];
    return step;
  }

  /**
   * Labels from a file painted as the user's own, as one step: every voxel `labels` labels
   * (0 leaves a voxel as it is), locked classes kept both ways; the slices reached become
   * corrected. Nothing changed: no step.
   */
  paintLabels(labels: Uint8Array): Promise<Step> {
    return this.#exclusive(async () => {
      const visit: CandidateVisitor = (emit) => {
        for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) emit(i, labels[i]!, Source.human);
      };
      const locked = this.lockedClasses;
      const diff = makeDiff(this.labels, this.source, visit, (_i, cur, next) => locked.has(cur) || locked.has(next));
      const touched = new Set<number>();
      for (let n = 0; n < diff.indices.length; n++) touched.add(this.sliceOf(diff.indices[n]!));
      const step = { diff, status: this.#statusChange(touched, (s) => (s === SliceStatus.reviewed ? s : SliceStatus.corrected)) };
      return diff.indices.length === 0 ? step : this.#commit(step);
    });
  }

  /**
   * A model run: `modelLabels` (volume grid) on the slices in `slices` (status-axis indices).
   * Keeps locked classes, reviewed slices and human voxels unless told otherwise; the slices it
   * writes that were untouched become auto.
   */
  applyModel(
    modelLabels: Uint8Array,
    slices: readonly number[],
    opts: { overwriteReviewed?: boolean; overwriteHuman?: boolean; model?: ModelId; modelClasses?: number } = {},
  ): Promise<Step> {
    return this.#exclusive(() => this.#applyModelNow(modelLabels, slices, opts));
  }

  async #applyModelNow(
    modelLabels: Uint8Array,
    slices: readonly number[],
    opts: { overwriteReviewed?: boolean; overwriteHuman?: boolean; model?: ModelId; modelClasses?: number },
  ): Promise<Step> {
    const { run, diff } = this.#modelDiff(modelLabels, slices, opts);
    const model = opts.model ?? { name: 'unknown model', version: '' };
    const index = this.models.length + 1;
    const zs = Uint32Array.from(run);
    return this.#commit({
      diff,
      status: this.#statusChange(new Set(run), (s) => (s === SliceStatus.untouched ? SliceStatus.auto : s)),
      models: { slices: zs, before: Uint16Array.from(zs, (z) => this.sliceModel[z]!), after: new Uint16Array(zs.length).fill(index), model },
    });
  }

  /**
   * What merging a model's labels on some slices would change, without changing anything: a run's
   * finished slices shown while it goes on (the run itself is merged as one step at its end).
   */
  previewModel(modelLabels: Uint8Array, slices: readonly number[], opts: { modelClasses?: number } = {}): { indices: Uint32Array; values: Uint8Array } {
    const { diff } = this.#modelDiff(modelLabels, slices, opts);
    return { indices: diff.indices, values: diff.after };
  }

  #modelDiff(
    modelLabels: Uint8Array,
    slices: readonly number[],
    opts: { overwriteReviewed?: boolean; overwriteHuman?: boolean; modelClasses?: number },
  ): { run: number[]; diff: LabelDiff } {
    const run = slices.filter((z) => opts.overwriteReviewed || this.sliceStatus[z] !== SliceStatus.reviewed);
    const visit: CandidateVisitor = (emit) => {
      for (const z of run) this.#forEachInSlice(z, (i) => emit(i, modelLabels[i]!, modelLabels[i] === 0 ? Source.none : Source.auto));
    };
    const locked = this.lockedClasses;
    // Labels the model does not have (the annotator's own) are never overwritten by it.
    const foreign = opts.modelClasses ?? 256;
    const diff = makeDiff(this.labels, this.source, visit, (i, cur, next) => {
      if (locked.has(cur) || locked.has(next) || cur >= foreign) return true;
      return !opts.overwriteHuman && this.source[i] === Source.human;
    });
    return { run, diff };
  }

  /** The model that last wrote a slice, or null. */
  modelOfSlice(z: number): ModelId | null {
    const i = this.sliceModel[z] ?? 0;
    return i > 0 ? (this.models[i - 1] ?? null) : null;
  }

  setSliceStatus(slices: readonly number[], status: SliceStatus): Promise<Step> {
    return this.#exclusive(() => this.#setSliceStatusNow(slices, status));
  }

  async #setSliceStatusNow(slices: readonly number[], status: SliceStatus): Promise<Step> {
    return this.#commit({
      diff: makeDiff(this.labels, this.source, () => {}),
      status: this.#statusChange(new Set(slices), () => status),
    });
  }

  /** Undo the last step; returns the step applied (to mirror in the renderer), or null. */
  undo(): Promise<Step | null> {
    return this.#exclusive(() => this.#undoNow());
  }

  async #undoNow(): Promise<Step | null> {
    const memo = this.#undo.at(-1);
    if (!memo) return null;
    this.#stroke = null;
    const step = invertStep(decodeStep(memo));
    await this.#durably(step);
    this.#undo.pop();
    this.#undoBytes -= memo.length;
    this.#redo.push(memo);
    return step;
  }

  redo(): Promise<Step | null> {
    return this.#exclusive(() => this.#redoNow());
  }

  async #redoNow(): Promise<Step | null> {
    const memo = this.#redo.at(-1);
    if (!memo) return null;
    this.#stroke = null;
    const step = decodeStep(memo);
    await this.#durably(step);
    this.#redo.pop();
    this.#pushUndo(memo);
    return step;
  }

  /** Write a snapshot atomically, then empty the journal it makes redundant. */
  save(): Promise<void> {
    return this.#exclusive(() => this.#saveNow());
  }

  async #saveNow(): Promise<void> {
    const header = Buffer.from(
      JSON.stringify({
        format: SNAPSHOT_FORMAT,
        dims: this.opts.dims,
        statusAxis: this.opts.statusAxis,
        locked: [...this.lockedClasses],
        models: this.models,
      }),
    );
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    const sliceModel = new Uint8Array(this.sliceModel.buffer, this.sliceModel.byteOffset, this.sliceModel.byteLength);
    const body = deflateRawSync(Buffer.concat([this.labels, this.source, this.sliceStatus, sliceModel, this.origin]), { level: 1 });
    await writeFileAtomic(join(this.opts.dir, SNAPSHOT), [len, header, body]);
    await this.journal.reset();
  }

  close(): Promise<void> {
    return this.#exclusive(() => this.#closeNow());
  }

  async #closeNow(): Promise<void> {
    await this.journal.close();
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #commit(step: Step): Promise<Step> {
    this.#stroke = null;
    const memo = await this.#durably(step);
    this.#pushUndo(memo);
    this.#redo = [];
    return step;
  }

  /** Journal first, then memory: nothing acknowledged can be lost. */
  async #durably(step: Step): Promise<Buffer> {
    const bytes = encodeStep(step);
    await this.journal.append(bytes);
    this.#apply(step);
    return bytes;
  }

  #apply(step: Step): void {
    const d = step.diff;
    for (let n = 0; n < d.indices.length; n++) {
      if (d.sourceAfter[n] === Source.human && d.sourceBefore[n] !== Source.human) this.origin[d.indices[n]!] = d.before[n]!;
    }
    applyDiff(d, this.labels, this.source);
    step.status.slices.forEach((z, n) => (this.sliceStatus[z] = step.status.after[n]!));
    const m = step.models;
    if (m) {
      // The newest index names this step's run; a replayed journal rebuilds the list from it.
      const newest = Math.max(0, ...m.after, ...m.before);
      if (newest > this.models.length) this.models.push(m.model);
      m.slices.forEach((z, n) => (this.sliceModel[z] = m.after[n]!));
    }
    this.#revision++;
  }

  #pushUndo(memo: Buffer): void {
    this.#undo.push(memo);
    this.#undoBytes += memo.length;
    const maxSteps = this.opts.maxUndoSteps ?? 200;
    const maxBytes = this.opts.maxUndoBytes ?? 256 << 20;
    while (this.#undo.length > 1 && (this.#undo.length > maxSteps || this.#undoBytes > maxBytes)) {
      this.#undoBytes -= this.#undo.shift()!.length;
    }
  }

  #statusChange(slices: Set<number>, next: (current: SliceStatus) => SliceStatus): Step['status'] {
    const changed = [...slices].filter((z) => next(this.sliceStatus[z] as SliceStatus) !== this.sliceStatus[z]).sort((a, b) => a - b);
    if (changed.length === 0) return emptyStatus();
    return {
      slices: Uint32Array.from(changed),
      before: Uint8Array.from(changed, (z) => this.sliceStatus[z]!),
      after: Uint8Array.from(changed, (z) => next(this.sliceStatus[z] as SliceStatus)),
    };
  }

  #forEachInSlice(z: number, fn: (i: number) => void): void {
    const [nx, ny, nz] = this.opts.dims;
    const a = this.opts.statusAxis;
    // Iterate the two other axes; index = i + nx * (j + ny * k).
    const [n0, n1, s0, s1] = a === 0 ? [ny, nz, nx, nx * ny] : a === 1 ? [nx, nz, 1, nx * ny] : [nx, ny, 1, nx];
    const base = z * this.#sliceStride;
    for (let v = 0; v < n1; v++) for (let u = 0; u < n0; u++) fn(base + u * s0 + v * s1);
  }

  async #loadSnapshot(): Promise<boolean> {
    const bytes = await readFile(join(this.opts.dir, SNAPSHOT)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (!bytes) return false;
    const len = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + len).toString('utf8')) as { format: string; dims: number[]; locked: number[]; models: unknown[] };
    const known = header.format === SNAPSHOT_FORMAT || header.format === SNAPSHOT_FORMAT_1;
    if (!known || header.dims.join() !== this.opts.dims.join()) {
      throw new UserFacingError('unreadable', `The saved labels in ${this.opts.dir} belong to a volume of another size (${header.dims.join('×')}).`);
    }
    const body = inflateRawSync(bytes.subarray(4 + len));
    const n = this.labels.length;
    this.labels.set(body.subarray(0, n));
    this.source.set(body.subarray(n, 2 * n));
    const d = this.sliceStatus.length;
    this.sliceStatus.set(body.subarray(2 * n, 2 * n + d));
    new Uint8Array(this.sliceModel.buffer).set(body.subarray(2 * n + d, 2 * n + 3 * d));
    if (header.format === SNAPSHOT_FORMAT) this.origin.set(body.subarray(2 * n + 3 * d, 3 * n + 3 * d));
    header.locked.forEach((c) => this.lockedClasses.add(c));
    this.models.push(...header.models.map(parseModelId));
    return true;
  }
}
