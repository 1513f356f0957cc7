/**
 * Bringing a label file another tool wrote (NIfTI, .seg.nrrd, DICOM SEG) onto the open study:
 * the user picks the file (and, for a plain label map, optionally its class table), then says
 * whether it is the model's proposal or their own labels. Main matches the classes by name; the
 * rest become labels of the annotator's own.
 */
import type { ChosenFile } from '../../../common/contract/api';
import type { LabelImportResult } from '../../../common/contract/label-import';
import { hsam } from '../api/client';
import type { LabelSet } from './label-set.svelte';
import type { Study } from './study.svelte';

export class LabelImport {
  /** The chosen label file, waiting for "proposal or mine". */
  file = $state.raw<ChosenFile | null>(null);
  classes = $state.raw<ChosenFile | null>(null);
  busy = $state(false);
  last = $state.raw<LabelImportResult | null>(null);

  constructor(
    private readonly study: Study,
    private readonly labelSet: LabelSet,
  ) {}

  async choose(): Promise<void> {
    const r = await hsam.file.chooseVolume({});
    if (!r.ok) return this.study.report(r.error);
    this.file = r.value;
    this.classes = null;
  }

  async chooseClasses(): Promise<void> {
    const r = await hsam.file.chooseVolume({});
    if (r.ok) this.classes = r.value;
    else this.study.report(r.error);
  }

  cancel(): void {
    this.file = this.classes = null;
  }

  async run(as: 'proposal' | 'human'): Promise<void> {
    const meta = this.study.meta;
    const file = this.file;
    if (!meta || !file || this.busy) return;
    this.busy = true;
    try {
      const r = await hsam.labels.import({ volumeId: meta.volumeId, fileId: file.fileId, as, ...(this.classes ? { classes: this.classes.fileId } : {}) });
      if (!r.ok) return this.study.report(r.error, 'import');
      this.study.succeeded('import');
      this.study.applyChange(r.value.change);
      this.last = r.value;
      if (r.value.extraClasses.length > 0) await this.labelSet.init();
      const extra = r.value.extraClasses.length;
      this.study.notice = [
        `${file.name}: ${r.value.labelledVoxels.toLocaleString('en')} labelled voxels as ${as === 'human' ? 'your labels' : "the model's proposal"}; ${r.value.classes.length - extra} classes matched the model's${extra ? `, ${extra} added as labels of your own` : ''}.`,
        ...r.value.warnings,
      ].join(' ');
      this.file = this.classes = null;
    } finally {
      this.busy = false;
    }
  }
}
