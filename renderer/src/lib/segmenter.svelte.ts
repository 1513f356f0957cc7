/**
 * The model and one-click segmentation as the renderer sees them: which model is loaded and on
 * what hardware, a run's progress with its ETA, cancel, and the labels that come back.
 */
import type { ChosenFile } from '../../../common/contract/api';
import type { ModelStatus, SegmentSummary } from '../../../common/contract/segmentation';
import { hsam, unwrap } from '../api/client';
import type { Study } from './study.svelte';

export interface RunProgress {
  readonly done: number;
  readonly total: number;
  readonly etaMs: number;
}

export class Segmenter {
  model = $state.raw<ModelStatus | null>(null);
  loadingModel = $state(false);
  running = $state.raw<RunProgress | null>(null);
  lastRun = $state.raw<SegmentSummary | null>(null);

  constructor(private readonly study: Study) {}

  listen(): () => void {
    return hsam.events.onDidSegmentProgress(({ volumeId, done, total, etaMs }) => {
      if (volumeId === this.study.meta?.volumeId) this.running = { done, total, etaMs };
    });
  }

  async load(folder: ChosenFile): Promise<void> {
    this.loadingModel = true;
    try {
      this.model = unwrap(await hsam.model.load({ fileId: folder.fileId }));
      this.study.succeeded('model');
    } catch (e) {
      this.study.report(e, 'model');
    } finally {
      this.loadingModel = false;
    }
  }

  async chooseAndLoad(): Promise<void> {
    const r = await hsam.file.chooseModelFolder({});
    if (r.ok) await this.load(r.value);
    else this.study.report(r.error);
  }

  /** Segment every slice of the open volume and mirror what the run changed (one undo step). */
  async run(): Promise<void> {
    const meta = this.study.meta;
    if (!meta || this.running) return;
    this.running = { done: 0, total: 0, etaMs: 0 };
    try {
      const run = unwrap(await hsam.segment.start({ volumeId: meta.volumeId }));
      this.lastRun = run;
      this.study.applyChange(run.change);
      this.study.succeeded('segment');
    } catch (e) {
      this.study.report(e, 'segment');
      await this.study.resync();
    } finally {
      this.running = null;
    }
  }

  async cancel(): Promise<void> {
    const meta = this.study.meta;
    if (meta) await hsam.segment.cancel({ volumeId: meta.volumeId });
  }
}

/** "12 s", "3 min 5 s" */
export function formatEta(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
