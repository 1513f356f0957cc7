/**
 * The opened study as the renderer holds it: metadata, the voxel array (raw state: large typed
 * arrays are never made deeply reactive), the current slice and display window, and the open
 * flow (file, or folder → series picker), with its progress and errors.
 */
import type { ChosenFile, OpenedStudy } from '../../../common/contract/api';
import type { DicomSeriesSummary, FolderScan, SeriesThumbnail } from '../../../common/contract/dicom';
import type { LabelChange, LabelState } from '../../../common/contract/segmentation';
import type { VolumeMeta, VoxelArray } from '../../../common/contract/volume';
import { failureMessage, hsam, unwrap } from '../api/client';
import { writeMarks } from './edit-marks';
import { LabelVolume } from './label-volume';
import { PLANES, viewGeometry, type Plane } from './orientation';
import { defaultWindow, type WindowLevel } from './window-level';

export interface Progress {
  readonly label: string;
  readonly done: number;
  readonly total: number;
}

const phaseLabel = { 'reading-headers': 'Reading DICOM headers', decoding: 'Decoding images' } as const;

export class Study {
  meta = $state.raw<VolumeMeta | null>(null);
  voxels = $state.raw<VoxelArray | null>(null);
  /** Current slice index of each view, along that view's voxel axis. */
  slices = $state<Record<Plane, number>>({ axial: 0, coronal: 0, sagittal: 0 });
  windowLevel = $state.raw<WindowLevel>({ width: 400, level: 40 });
  loading = $state<string | null>(null);
  progress = $state.raw<Progress | null>(null);
  error = $state<string | null>(null);
  /** The action the error banner reports (e.g. 'export'): its next success clears the banner. */
  errorSource = $state<string | null>(null);
  /** A scanned folder whose series the user is choosing from. */
  scan = $state.raw<FolderScan | null>(null);
  /** The label volume main holds for this study (edited in place; see labelVersion). */
  labels = $state.raw<LabelState | null>(null);
  labelVersion = $state(0);
  /**
   * The same label array with its class counts (per slice along main's status axis, the axial
   * one, where per-slice tools work) and touch log; every edit writes through it.
   */
  readonly volume: LabelVolume | null = $derived.by(() => {
    const { meta, labels } = this;
    if (!meta || !labels || labels.volumeId !== meta.volumeId) return null;
    return new LabelVolume(labels.labels, meta.dims, labels.statusAxis);
  });
  /**
   * Main's human-edit marks (HumanEdit per voxel) in a volume of their own, edited in place with
   * the labels (labelVersion counts both); null while no voxel of this study is marked.
   */
  edits = $state.raw<LabelVolume | null>(null);
  /** Undo and redo as main's label session has them, after the last change it answered. */
  canUndo = $state(false);
  canRedo = $state(false);
  /** Classes no edit or model run may change. */
  locked = $state.raw<readonly number[]>([]);
  /** Models that wrote labels in this study; `labels.sliceModel` indexes it (1-based). */
  models = $state.raw<LabelState['models']>([]);
  /** Set when an earlier session's unsaved edits were restored from the journal, or main's studyNotice. */
  notice = $state<string | null>(null);
  /** A studyNotice for a volume not shown yet (sent while it opened): shown with it. */
  #early: { volumeId: string; message: string } | null = null;

  /**
   * Mirror a change main applied (an edit, a model run, an undo): voxels, slice statuses, model
   * attribution, undo state. The only way the renderer's labels change after an open.
   * `alsoChanged`: the caller changed the local labels itself just before (a dab main vetoed).
   */
  applyChange(change: LabelChange, alsoChanged = false): void {
    const state = this.labels;
    if (!state || state.volumeId !== change.volumeId) return;
    let changed = alsoChanged || (this.volume?.write(change.indices, change.values) ?? 0) > 0;
    changed = this.#writeMarks(change.indices, change.edited) || changed;
    change.slices.forEach((z, n) => {
      changed ||= state.sliceStatus[z] !== change.status[n];
      state.sliceStatus[z] = change.status[n]!;
    });
    change.modelSlices.forEach((z, n) => {
      changed ||= state.sliceModel[z] !== change.modelIndex[n];
      state.sliceModel[z] = change.modelIndex[n]!;
    });
    // Not a new LabelState: the label array and its touch log stay the ones the views hold.
    if (change.models) {
      this.models = change.models;
      changed = true;
    }
    this.canUndo = change.canUndo;
    this.canRedo = change.canRedo;
    // Main's answer to a brush dab mostly confirms what the renderer already painted: then nothing
    // is new, and every view, list and strip that follows the labels is spared a round of work.
    if (changed) this.labelVersion++;
  }

  /** One way to report a failed call: a cancel is no failure; anything else shows in the banner. */
  report(e: unknown, source: string | null = null): void {
    const message = failureMessage(e);
    if (message === null) return;
    this.error = message;
    this.errorSource = source;
  }

  /** An action succeeded: the banner that reported its earlier failure goes. */
  succeeded(source: string): void {
    if (this.error !== null && this.errorSource === source) this.error = this.errorSource = null;
  }

  /** Called with each newly shown study, so per-study state elsewhere starts afresh. */
  #onShow: (() => void)[] = [];
  onShow(listener: () => void): () => void {
    this.#onShow.push(listener);
    return () => (this.#onShow = this.#onShow.filter((l) => l !== listener));
  }

  /** Open a study another way (a worklist case): the same loading state, errors and display. */
  async load(name: string, fetch: () => Promise<OpenedStudy>): Promise<boolean> {
    let shown = false;
    await this.#loading(name, async () => {
      this.#show(await fetch());
      shown = true;
    });
    return shown;
  }

  /** Follow main's progress events for long reads, and a run's labels slice by slice; returns the unsubscribe. */
  listen(): () => void {
    const offScan = hsam.events.onDidScanProgress(({ phase, done, total }) => {
      this.progress = done >= total ? null : { label: phaseLabel[phase], done, total };
    });
    const offRun = hsam.events.onDidSegmentLabels(({ volumeId, indices, values }) => {
      if (this.labels?.volumeId !== volumeId) return;
      // Shown, not yet a step: the run's answer brings the change (same values) with its undo state.
      this.volume?.write(indices, values);
      this.labelVersion++;
    });
    const offNotice = hsam.events.onDidStudyNotice(({ volumeId, message }) => {
      if (this.labels?.volumeId === volumeId) this.notice = message;
      else this.#early = { volumeId, message };
    });
    return () => {
      offScan();
      offRun();
      offNotice();
    };
  }

  /** Main's labels again, whole (after a run failed midway: slices shown during it were never merged). */
  async resync(): Promise<void> {
    const meta = this.meta;
    if (!meta) return;
    const r = await hsam.labels.get({ volumeId: meta.volumeId });
    const volume = this.volume;
    if (!r.ok || this.meta !== meta || !volume) return;
    const next = r.value.labels;
    const differ: number[] = [];
    volume.labels.forEach((v, i) => {
      if (v !== next[i]) differ.push(i);
    });
    volume.write(differ, Uint8Array.from(differ, (i) => next[i]!));
    // The marks likewise: the old ones cleared (they are few), main's written.
    const marked: number[] = [];
    this.edits?.labels.forEach((m, i) => {
      if (m !== 0) marked.push(i);
    });
    this.edits?.write(marked, 0);
    this.#writeMarks(r.value.edited.indices, r.value.edited.marks);
    this.labelVersion++;
  }

  /** Keep the human-edit marks in step; true when a mark changed (the views must redraw). */
  #writeMarks(indices: Uint32Array, marks: Uint8Array): boolean {
    const { meta, labels } = this;
    if (!meta || !labels) return false;
    const { volume, changed } = writeMarks(this.edits, meta.dims, labels.statusAxis, indices, marks);
    if (volume !== this.edits) this.edits = volume;
    return changed > 0;
  }

  /** Open what the user chose: a file directly, a folder through a scan (and maybe the picker). */
  async openChosen(file: ChosenFile): Promise<void> {
    await (file.kind === 'folder' ? this.openFolder(file) : this.open(file));
  }

  /** Open a chosen file, or a folder with exactly one series. */
  async open(file: ChosenFile): Promise<void> {
    await this.#loading(file.name, async () => this.#show(unwrap(await hsam.volume.open({ fileId: file.fileId }))));
  }

  /** Scan a chosen folder; one clean series opens at once, otherwise the picker shows. */
  async openFolder(folder: ChosenFile): Promise<void> {
    await this.#loading(folder.name, async () => {
      const scan = unwrap(await hsam.dicom.scanFolder({ fileId: folder.fileId }));
      const only = scan.series.length === 1 ? scan.series[0] : undefined;
      if (only && only.warnings.length === 0) await this.#openSeries(scan, only);
      else this.scan = scan;
    });
  }

  async openSeries(series: DicomSeriesSummary): Promise<void> {
    const scan = this.scan;
    if (!scan) return;
    this.scan = null;
    await this.#loading(series.seriesDescription || series.seriesInstanceUID, () => this.#openSeries(scan, series));
  }

  /** A preview of one series of the folder in the picker. */
  async preview(series: DicomSeriesSummary): Promise<SeriesThumbnail> {
    const scan = this.scan;
    if (!scan) throw new Error('The folder is no longer open.');
    return unwrap(await hsam.dicom.thumbnail({ scanId: scan.scanId, seriesId: series.seriesId }));
  }

  async chooseAndOpen(): Promise<void> {
    const r = await hsam.file.chooseVolume({});
    if (r.ok) await this.openChosen(r.value);
    else this.report(r.error);
  }

  async chooseAndOpenFolder(): Promise<void> {
    const r = await hsam.file.chooseFolder({});
    if (r.ok) await this.openFolder(r.value);
    else this.report(r.error);
  }

  async #openSeries(scan: FolderScan, series: DicomSeriesSummary): Promise<void> {
    this.#show(unwrap(await hsam.dicom.openSeries({ scanId: scan.scanId, seriesId: series.seriesId })));
  }

  #show({ meta, voxels, labels }: OpenedStudy): void {
    const previous = this.meta;
    this.meta = meta;
    this.voxels = voxels;
    this.labels = labels;
    this.edits = null;
    this.#writeMarks(labels.edited.indices, labels.edited.marks);
    this.canUndo = labels.canUndo;
    this.canRedo = labels.canRedo;
    this.locked = labels.locked;
    this.models = labels.models;
    this.labelVersion++;
    const r = labels.restored;
    const early = this.#early?.volumeId === labels.volumeId ? this.#early.message : null;
    this.#early = null;
    const restored = r && r.journalRecords > 0 ? `Restored ${r.journalRecords} unsaved label edit(s) from the last session.` : null;
    this.notice = [restored, early].filter((x) => x !== null).join(' ') || null;
    this.windowLevel = defaultWindow(meta);
    for (const plane of PLANES) {
      this.slices[plane] = Math.floor(meta.dims[viewGeometry(meta.direction, plane).sliceAxis] / 2);
    }
    if (previous) void hsam.volume.close({ volumeId: previous.volumeId });
    for (const listener of this.#onShow) listener();
  }

  async #loading(name: string, work: () => Promise<void>): Promise<void> {
    this.loading = name;
    this.error = this.errorSource = null;
    try {
      await work();
    } catch (e) {
      this.report(e);
    } finally {
      this.loading = null;
      this.progress = null;
    }
  }
}
