/**
 * The worklist as the renderer drives it: open a folder of studies, open a case, "Save & next",
 * and the two choices an annotator makes once (run the model on open; pre-segment the next case
 * in the background), remembered in this window's storage. Main keeps the statuses.
 */
import type { ChosenFile } from '../../../common/contract/api';
import type { CaseStatus, WorklistState } from '../../../common/contract/worklist';
import { hsam, unwrap } from '../api/client';
import type { Segmenter } from './segmenter.svelte';
import type { Study } from './study.svelte';

const remembered = (key: string, fallback: boolean): boolean => {
  const v = globalThis.localStorage?.getItem(key);
  return v === null || v === undefined ? fallback : v === 'true';
};

export class Worklist {
  state = $state.raw<WorklistState | null>(null);
  /** Run the model when a case without labels opens. */
  autoSegment = $state(remembered('hsam.worklist.autoSegment', false));
  /** Pre-segment the next case in the background. */
  prefetchNext = $state(remembered('hsam.worklist.prefetchNext', true));
  /** A case being opened or saved. */
  busy = $state(false);
  /** Where the open case's labels came from when not from this app (e.g. hsam segment). */
  labelsFrom = $state<string | null>(null);

  constructor(
    private readonly study: Study,
    private readonly segmenter: Segmenter,
  ) {
    $effect.root(() => {
      $effect(() => globalThis.localStorage?.setItem('hsam.worklist.autoSegment', String(this.autoSegment)));
      $effect(() => globalThis.localStorage?.setItem('hsam.worklist.prefetchNext', String(this.prefetchNext)));
    });
    study.onShow(() => {
      this.labelsFrom = null;
    });
  }

  listen(): () => void {
    return hsam.events.onDidWorklistChanged((s) => {
      this.state = s;
    });
  }

  /** The worklist open when the app last closed. */
  async init(): Promise<void> {
    const r = await hsam.worklist.get({});
    if (r.ok) this.state = r.value;
  }

  /** The case of the open study, if it is one. */
  get current(): number | null {
    return this.state?.current ?? null;
  }

  /** Ask for a folder of studies, or (`list`) a list file of study paths, and open it. */
  async choose(kind: 'folder' | 'list' = 'folder'): Promise<void> {
    const r = kind === 'folder' ? await hsam.file.chooseFolder({}) : await hsam.file.chooseWorklistFile({});
    if (r.ok) await this.open(r.value);
    else this.study.report(r.error);
  }

  /** Open a chosen folder of studies or a list file. */
  async open(file: ChosenFile): Promise<void> {
    const r = await hsam.worklist.open({ fileId: file.fileId });
    if (r.ok) {
      this.state = r.value;
      this.study.succeeded('worklist');
      const first = r.value.cases.find((c) => c.status !== 'reviewed' && c.status !== 'exported') ?? r.value.cases[0];
      if (first) await this.openCase(first.index);
    } else this.study.report(r.error, 'worklist');
  }

  async openCase(index: number): Promise<void> {
    const c = this.state?.cases[index];
    if (!c || this.busy) return;
    this.busy = true;
    try {
      let from: string | null = null;
      const shown = await this.study.load(c.name, async () => {
        const r = unwrap(await hsam.worklist.openCase({ index, prefetchNext: this.prefetchNext }));
        this.state = r.worklist;
        from = r.labelsFrom;
        return r.study;
      });
      if (!shown) return;
      this.labelsFrom = from;
      if (this.autoSegment && this.segmenter.model && this.study.models.length === 0) await this.segmenter.run();
    } finally {
      this.busy = false;
    }
  }

  /** Save the open case, mark it reviewed, open the next unfinished one. */
  async saveAndNext(): Promise<void> {
    const meta = this.study.meta;
    if (!meta || this.current === null || this.busy) return;
    const r = await hsam.worklist.saveAndNext({ volumeId: meta.volumeId });
    if (!r.ok) return this.study.report(r.error, 'worklist');
    this.state = r.value.worklist;
    if (r.value.next !== null) await this.openCase(r.value.next);
  }

  async setStatus(index: number, status: CaseStatus): Promise<void> {
    const r = await hsam.worklist.setStatus({ index, status });
    if (r.ok) this.state = r.value;
    else this.study.report(r.error, 'worklist');
  }
}
