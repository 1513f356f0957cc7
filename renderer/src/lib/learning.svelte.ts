/**
 * The learning loop as the renderer drives it: the next slice to review, label exports, adding
 * reviewed slices to the training set, fine-tuning with progress, and switching model versions.
 * Every action goes through the typed API; main owns files, the trainer and the registry.
 */
import type {
  FinetuneResult,
  LabelExportResult,
  LabelFormat,
  SegType,
  ModelVersion,
  PythonCheck,
  ReviewSuggestion,
  TrainingExportResult,
} from '../../../common/contract/learning';
import type { EventPayload } from '../../../common/contract/api';
import { hsam, unwrap } from '../api/client';
import { versionVerdict } from '../../../common/model-verdict';
import type { Segmenter } from './segmenter.svelte';
import type { Study } from './study.svelte';

export class Learning {
  review = $state.raw<ReviewSuggestion | null>(null);
  reviewDone = $state(false);
  exporting = $state<LabelFormat | 'training' | null>(null);
  /** How DICOM SEG exports are written: BINARY is read everywhere; LABELMAP is much smaller. */
  segType = $state<SegType>('binary');
  lastExport = $state.raw<LabelExportResult | null>(null);
  lastTraining = $state.raw<TrainingExportResult | null>(null);
  python = $state.raw<PythonCheck | null>(null);
  steps = $state(200);
  progress = $state.raw<EventPayload<'finetuneProgress'> | null>(null);
  result = $state.raw<FinetuneResult | null>(null);
  versions = $state.raw<readonly ModelVersion[]>([]);
  switching = $state(false);
  /** What happened to the last model the user added (e.g. added but not loaded: worse than its parent). */
  importNotice = $state<string | null>(null);

  constructor(
    private readonly study: Study,
    private readonly segmenter: Segmenter,
  ) {
    // What belongs to one study (its review position, its export and training-set results) starts afresh with the next.
    study.onShow(() => {
      this.review = null;
      this.reviewDone = false;
      this.lastExport = null;
      this.lastTraining = null;
    });
  }

  listen(): () => void {
    return hsam.events.onDidFinetuneProgress((p) => {
      this.progress = p;
    });
  }

  /** Python check and the registry, at start. */
  async init(): Promise<void> {
    const [py, reg] = await Promise.all([hsam.finetune.checkPython({}), hsam.models.list({})]);
    if (py.ok) this.python = py.value;
    if (reg.ok) this.versions = reg.value.versions;
  }

  /** Jump the axial view to the slice the model was least sure of that nobody has handled. */
  async nextToReview(): Promise<void> {
    const meta = this.study.meta;
    if (!meta) return;
    await this.#try(async () => {
      this.review = unwrap(await hsam.review.next({ volumeId: meta.volumeId }));
      this.reviewDone = this.review === null;
      if (this.review) this.study.slices.axial = this.review.slice;
    });
  }

  async exportLabels(format: LabelFormat): Promise<void> {
    const meta = this.study.meta;
    if (!meta || this.exporting) return;
    this.exporting = format;
    try {
      const r = await hsam.export.labels({ volumeId: meta.volumeId, format, ...(format === 'dicom-seg' ? { segType: this.segType } : {}) });
      if (r.ok) {
        this.lastExport = r.value;
        this.study.succeeded('export');
      } else this.study.report(r.error, 'export');
    } finally {
      this.exporting = null;
    }
  }

  async exportTrainingSlices(): Promise<void> {
    const meta = this.study.meta;
    if (!meta || this.exporting) return;
    this.exporting = 'training';
    try {
      await this.#try(async () => {
        this.lastTraining = unwrap(await hsam.export.trainingSlices({ volumeId: meta.volumeId }));
        this.study.succeeded('training');
      }, 'training');
    } finally {
      this.exporting = null;
    }
  }

  async choosePython(): Promise<void> {
    const r = await hsam.finetune.choosePython({});
    if (r.ok) this.python = r.value;
    else this.study.report(r.error);
  }

  async finetune(): Promise<void> {
    if (this.progress) return;
    this.result = null;
    this.progress = { phase: 'checking', step: 0, steps: this.steps, loss: null, elapsedMs: 0, etaMs: 0 };
    try {
      const r = await hsam.finetune.start({ steps: this.steps });
      if (r.ok) {
        this.result = r.value;
        this.study.succeeded('finetune');
      } else this.study.report(r.error, 'finetune');
      await this.#refreshVersions();
    } finally {
      this.progress = null;
    }
  }

  async cancel(): Promise<void> {
    await hsam.finetune.cancel({});
  }

  /** Add a model folder (or a zipped one) the user chose: registered, and loaded unless it is worse than its parent. */
  async importModel(kind: 'folder' | 'zip'): Promise<void> {
    const chosen = kind === 'folder' ? await hsam.file.chooseModelFolder({}) : await hsam.file.chooseModelArchive({});
    if (!chosen.ok) return this.study.report(chosen.error);
    this.switching = true;
    this.importNotice = null;
    try {
      const r = await hsam.models.import({ fileId: chosen.value.fileId });
      if (!r.ok) return this.study.report(r.error, 'model');
      this.study.succeeded('model');
      this.versions = r.value.registry.versions;
      const v = r.value.version;
      if (r.value.loaded) {
        this.segmenter.model = r.value.loaded;
        this.importNotice = `${v.name} ${v.version} added and in use.`;
      } else this.importNotice = `${v.name} ${v.version} added but not loaded: ${versionVerdict(v).sentence ?? ''} Choose "Use anyway" to try it.`;
    } finally {
      this.switching = false;
    }
  }

  /** Switch to a version (a new one, or back to an earlier one). */
  async activate(versionId: string): Promise<void> {
    this.switching = true;
    try {
      await this.#try(async () => {
        this.segmenter.model = unwrap(await hsam.models.activate({ versionId }));
        await this.#refreshVersions();
      });
    } finally {
      this.switching = false;
    }
  }

  async #refreshVersions(): Promise<void> {
    const reg = await hsam.models.list({});
    if (reg.ok) this.versions = reg.value.versions;
  }

  async #try(work: () => Promise<void>, source: string | null = null): Promise<void> {
    try {
      await work();
    } catch (e) {
      this.study.report(e, source);
    }
  }
}
