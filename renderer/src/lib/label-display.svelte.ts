/**
 * The label overlay's display settings as the user sets them in the segment list: hidden
 * classes, global and per-class opacity, fill or outline, and the human-edits and uncertainty
 * overlays on or off. Sets and maps are raw state replaced on each change (never mutated in
 * place), so every reader sees the change.
 */
import type { LabelMode } from './label-slice';
import type { LabelClass, LabelStyle } from './label-style';
import { noEntries, none, toggled, withEntry } from './toggle';

export class LabelDisplay {
  hidden = $state.raw<ReadonlySet<number>>(none);
  opacity = $state(0.45);
  classOpacity = $state.raw<ReadonlyMap<number, number>>(noEntries);
  mode = $state<LabelMode>('fill');
  /** Overlays of issue 17: voxels a human changed apart from the model's proposal, and the last run's uncertainty. */
  showEdits = $state(false);
  showUncertainty = $state(false);

  toggle(index: number): void {
    this.hidden = toggled(this.hidden, index);
  }

  setClassOpacity(index: number, value: number): void {
    this.classOpacity = withEntry(this.classOpacity, index, Math.min(1, Math.max(0, value)));
  }

  toggleMode(): void {
    this.mode = this.mode === 'fill' ? 'outline' : 'fill';
  }

  style(classes: readonly LabelClass[]): LabelStyle {
    return { classes, opacity: this.opacity, hidden: this.hidden, classOpacity: this.classOpacity, mode: this.mode };
  }
}
