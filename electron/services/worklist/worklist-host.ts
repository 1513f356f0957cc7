/**
 * The open worklist in main: which cases it holds, which one is open, each case's status as edits,
 * runs and exports happen, "Save & next", and the background pre-segmentation of the next case
 * (into that case's own label session, so opening it later shows the labels at once).
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, relative } from 'node:path';
import { UserFacingError } from '../../../common/contract/result.js';
import type { CaseStatus, OpenedCase, WorklistState } from '../../../common/contract/worklist.js';
import { loadDicomSeries, scanDicomFolder } from '../imaging/dicom/loader.js';
import { readVolume } from '../imaging/read-volume.js';
import type { Volume } from '../imaging/volume.js';
import type { ModelHost } from '../models/model-host.js';
import type { Studies } from '../studies/studies.js';
import type { Study } from '../studies/study.js';
import { precomputedLabels, readPrecomputed, type PrecomputedLabels } from './precomputed-labels.js';
import { seriesOutputName } from '../segment-outputs.js';
import { casesInFolder, casesInList, WorklistStore, type FoundCase } from './worklist.js';

/** A case read from disk, ready to become a study. */
export interface CaseVolume {
  readonly volume: Volume;
  /** The file or folder it was read from, and the key its label session has (path, and series for DICOM). */
  readonly source: string;
  readonly key: string;
  /** hsam segment's labels for it, or null. */
  readonly precomputed: string | null;
}

export interface WorklistPorts {
  readonly dataDir: string;
  readonly studies: Studies;
  readonly models: ModelHost;
  readonly emit: (state: WorklistState) => void;
  readonly log?: ((line: string) => void) | undefined;
}

interface OpenList {
  readonly source: string;
  /** Where relative names start, and where hsam segment's labels are looked for. */
  readonly dir: string;
  readonly name: string;
  readonly cases: readonly FoundCase[];
}

interface Prefetch {
  readonly index: number;
  readonly runKey: string;
  state: NonNullable<WorklistState['prefetch']>['state'];
  message?: string;
  done: Promise<void>;
}

/** Status changes the app makes on its own, from what happened to a case. */
export type CaseEvent = { readonly kind: 'model'; readonly by: string } | { readonly kind: 'edit' } | { readonly kind: 'export' };

/** Edits within this long of the last mark do not rewrite the file (a stroke is many edits). */
const EDIT_MARK_INTERVAL_MS = 60_000;

const annotator = (): string => {
  try {
    return userInfo().username || 'annotator';
  } catch {
    return 'annotator';
  }
};

/** Whether a study's labels were never touched by anyone or anything (so outside labels may fill them). */
const untouched = (s: Study): boolean => s.session.models.length === 0 && s.session.sliceStatus.every((x) => x === 0) && !s.session.canUndo;

export class WorklistHost {
  #store: WorklistStore | null = null;
  #list: OpenList | null = null;
  #current: number | null = null;
  #prefetch: Prefetch | null = null;
  /** DICOM cases' label file names as hsam segment writes them (seriesOutputName), once read. */
  readonly #seriesOutput = new Map<string, string>();
  readonly #user = annotator();

  constructor(private readonly ports: WorklistPorts) {}

  async #openStore(): Promise<WorklistStore> {
    this.#store ??= await WorklistStore.open(this.ports.dataDir);
    return this.#store;
  }

  /** Open a folder of studies or a list file; it becomes the worklist reopened at the next start. */
  async open(path: string): Promise<WorklistState> {
    const st = await stat(path).catch(() => null);
    if (!st) throw new UserFacingError('not-found', `${basename(path)} does not exist.`);
    const cases = st.isDirectory() ? await casesInFolder(path) : await casesInList(path);
    if (cases.length === 0) throw new UserFacingError('not-found', `${basename(path)} holds no studies (volume files or DICOM folders).`);
    const store = await this.#openStore();
    await store.setSource(path);
    await this.cancelPrefetch();
    this.#list = { source: path, dir: st.isDirectory() ? path : dirname(path), name: basename(path), cases };
    this.#current = null;
    return this.state();
  }

  /** The open worklist; at start, the one open when the app last closed (if it is still there). */
  async get(): Promise<WorklistState | null> {
    if (!this.#list) {
      const source = (await this.#openStore()).source;
      if (source === null) return null;
      try {
        await this.open(source);
      } catch (e) {
        this.ports.log?.(`worklist: the last worklist (${source}) could not be reopened: ${e instanceof Error ? e.message : String(e)}`);
        return null;
      }
    }
    return this.state();
  }

  state(): WorklistState {
    const list = this.#require();
    const store = this.#store!;
    const p = this.#prefetch;
    const found = precomputedLabels(list.dir);
    return {
      name: list.name,
      current: this.#current,
      prefetch: p && { index: p.index, state: p.state, ...(p.message ? { message: p.message } : {}) },
      cases: list.cases.map((c, index) => {
        const mark = store.mark(c.path);
        return {
          index,
          name: relative(list.dir, c.path) || basename(c.path),
          kind: c.kind,
          status: mark?.status ?? 'new',
          by: mark?.by ?? null,
          at: mark?.at ?? null,
          precomputed: this.#precomputedPath(c, found) !== null,
        };
      }),
    };
  }

  #require(): OpenList {
    if (!this.#list) throw new UserFacingError('not-found', 'No worklist is open; open a folder of studies first.');
    return this.#list;
  }

  #case(index: number): FoundCase {
    const c = this.#require().cases[index];
    if (!c) throw new UserFacingError('invalid-argument', `The worklist has ${this.#require().cases.length} cases; there is no case ${index + 1}.`);
    return c;
  }

  #precomputedPath(c: FoundCase, found: PrecomputedLabels = precomputedLabels(this.#require().dir)): string | null {
    if (c.kind === 'volume') return found.forVolume(c.path);
    const name = this.#seriesOutput.get(c.path);
    return name ? found.forSeries(name) : null;
  }

  /** Read a case from disk: a volume file, or the largest series of a DICOM folder. */
  async readCase(index: number): Promise<CaseVolume> {
    const c = this.#case(index);
    if (c.kind === 'volume') return { volume: await readVolume(c.path), source: c.path, key: c.path, precomputed: this.#precomputedPath(c) };
    const scan = await scanDicomFolder(c.path);
    const series = [...scan.series].sort((a, b) => b.summary.sliceCount - a.summary.sliceCount)[0];
    if (!series) throw new UserFacingError('unreadable', `${basename(c.path)} holds no DICOM image series.`);
    this.#seriesOutput.set(c.path, seriesOutputName(series.summary));
    const volume = await loadDicomSeries(series);
    const more = scan.series.length > 1 ? [`${basename(c.path)} holds ${scan.series.length} series; the worklist opened the largest (${series.summary.sliceCount} images).`] : [];
    return {
      volume: more.length > 0 ? { ...volume, warnings: [...(volume.warnings ?? []), ...more] } : volume,
      source: c.path,
      key: `${c.path}#${series.summary.seriesId}`,
      precomputed: this.#precomputedPath(c),
    };
  }

  /**
   * Open a case as a study (through `openStudy`, the same path as volume.open). Waits for its own
   * background pre-segmentation if it is running; cancels one of another case.
   */
  async openCase<S>(
    index: number,
    openStudy: (c: CaseVolume) => Promise<{ opened: S; study: Study }>,
    prefetchNext: boolean,
  ): Promise<OpenedCase<S>> {
    const c = this.#case(index);
    const p = this.#prefetch;
    if (p && p.index === index) await p.done;
    else await this.cancelPrefetch();
    const read = await this.readCase(index);
    let labelsFrom: string | null = null;
    const { opened, study } = await openStudy(read);
    if (read.precomputed && untouched(study)) {
      const { labels, model } = await readPrecomputed(read.precomputed, study.volume);
      const all = Array.from({ length: study.session.sliceStatus.length }, (_, z) => z);
      await study.applyModelRun({ labels, completed: all, uncertainty: new Float64Array(all.length).fill(NaN), sliceAxis: study.statusAxis }, model);
      await this.mark(c.path, { kind: 'model', by: model.name === 'hsam segment' ? model.name : `hsam segment (${model.name} ${model.version})` });
      labelsFrom = 'hsam segment';
    }
    this.#current = index;
    if (prefetchNext) this.#startPrefetch(index);
    return { study: opened, worklist: this.state(), labelsFrom };
  }

  /** Record what happened to a study's case (if it is one): model run, edit, export. */
  async mark(path: string, event: CaseEvent): Promise<void> {
    if (!this.#list?.cases.some((c) => c.path === path)) return;
    const store = await this.#openStore();
    const was = store.mark(path);
    const status = was?.status ?? 'new';
    let next: { status: CaseStatus; by: string } | null = null;
    if (event.kind === 'model') {
      // A run never takes a case back from a human's status.
      if (status === 'new' || status === 'auto-segmented') next = { status: 'auto-segmented', by: event.by };
    } else if (event.kind === 'export') next = { status: 'exported', by: this.#user };
    else if (status !== 'in progress' || !was || Date.now() - Date.parse(was.at) > EDIT_MARK_INTERVAL_MS) next = { status: 'in progress', by: this.#user };
    if (!next) return;
    await store.set(path, next.status, next.by);
    this.ports.emit(this.state());
  }

  async setStatus(index: number, status: CaseStatus): Promise<WorklistState> {
    await (await this.#openStore()).set(this.#case(index).path, status, this.#user);
    return this.state();
  }

  /** Save the open case's labels, mark it reviewed, and name the next unfinished case. */
  async saveAndNext(study: Study): Promise<{ worklist: WorklistState; next: number | null }> {
    const list = this.#require();
    const index = list.cases.findIndex((c) => c.path === study.source);
    if (index < 0) throw new UserFacingError('not-found', 'The open study is not a case of the worklist; open it from the worklist.');
    await study.session.save();
    const store = await this.#openStore();
    await store.set(list.cases[index]!.path, 'reviewed', this.#user);
    const next = store.next(store.list(list.cases), list.cases[index]!.path);
    return { worklist: this.state(), next: next ? list.cases.findIndex((c) => c.path === next.path) : null };
  }

  /**
   * Pre-segment the case "Save & next" will open, into its own label session, while the annotator
   * works on this one. Only a new case with no labels of its own (nor hsam segment's) is run.
   */
  #startPrefetch(from: number): void {
    const list = this.#require();
    const store = this.#store!;
    if (!this.ports.models.status) return;
    const next = store.next(store.list(list.cases), list.cases[from]!.path);
    const index = next ? list.cases.findIndex((c) => c.path === next.path) : -1;
    if (index < 0 || index === from || next?.mark || this.#precomputedPath(list.cases[index]!)) return;
    const runKey = `prefetch-${randomUUID()}`;
    const entry: Prefetch = { index, runKey, state: 'running', done: Promise.resolve() };
    entry.done = (async () => {
        const read = await this.readCase(index);
        if (entry.state === 'cancelled') return;
        // A DICOM case's series is known only once read: hsam segment may have labelled it already.
        if (read.precomputed) return void (entry.state = 'done');
        const study = await this.ports.studies.open(runKey, read.volume, read.source, read.key);
        try {
          if (!untouched(study)) return void (entry.state = 'done');
          if (entry.state !== 'running') return;
          const run = await this.ports.models.run(runKey, study.volumeForWorker(), { onProgress: () => {} });
          // Cancelled: the annotator moved elsewhere; a half-run case is not worth keeping.
          if (run.cancelled) return void (entry.state = 'cancelled');
          await study.applyModelRun(run, run.model, this.ports.models.status?.classes.length);
          entry.state = 'done';
          await this.mark(read.source, { kind: 'model', by: `${run.model.name} ${run.model.version}` });
        } finally {
          await this.ports.studies.close(runKey);
        }
      })()
        .catch((e: unknown) => {
          entry.state = 'failed';
          entry.message = e instanceof Error ? e.message : String(e);
          this.ports.log?.(`worklist: pre-segmenting case ${index + 1} failed: ${entry.message}`);
        })
        .finally(() => {
          if (this.#list === list) this.ports.emit(this.state());
        });
    this.#prefetch = entry;
    this.ports.emit(this.state());
  }

  /** Stop the background run at once, without waiting for it (the annotator runs the model now). */
  stopPrefetch(): void {
    const p = this.#prefetch;
    if (p?.state !== 'running') return;
    p.state = 'cancelled';
    this.ports.models.cancel(p.runKey);
  }

  /** Stop the background run and wait until it has let go of its study (another case opens). */
  async cancelPrefetch(): Promise<void> {
    const p = this.#prefetch;
    if (!p) return;
    this.stopPrefetch();
    await p.done;
    this.#prefetch = null;
  }

  /** Whether a volume id is the background run's (its progress is not the annotator's). */
  isPrefetch(volumeId: string): boolean {
    return this.#prefetch?.runKey === volumeId;
  }
}
