/**
 * The annotator's own labels in the renderer: add, rename, recolour, remove (when unused). Main
 * keeps them (across studies) and checks them against the model's classes; every change is saved
 * at once.
 */
import type { ExtraLabel } from '../../../common/contract/label-set';
import type { ModelClass } from '../../../common/contract/segmentation';
import { hsam } from '../api/client';
import type { Study } from './study.svelte';

/** Colours far from the abdominal organs' (and from each other) for new labels, in turn. */
const NEW_COLOURS: readonly (readonly [number, number, number])[] = [
  [255, 0, 255],
  [0, 255, 255],
  [255, 255, 0],
  [0, 255, 0],
  [255, 128, 0],
  [128, 0, 255],
  [0, 128, 255],
  [255, 0, 128],
];

export class LabelSet {
  extra = $state.raw<readonly ExtraLabel[]>([]);

  constructor(private readonly study: Study) {}

  async init(): Promise<void> {
    const r = await hsam.labelSet.get({});
    if (r.ok) this.extra = r.value.extra;
    else this.study.report(r.error, 'label-set');
  }

  /** The model's classes followed by the annotator's labels: what the views, the list and the tools use. */
  all(model: readonly ModelClass[]): ModelClass[] {
    return [...model, ...this.extra.map((l) => ({ index: l.index, name: l.name, color: l.color }))];
  }

  /** A new label with the next free value and a colour of its own; returns its value, or null if refused. */
  async add(name: string, model: readonly ModelClass[]): Promise<number | null> {
    const used = [...model.map((c) => c.index), ...this.extra.map((l) => l.index)];
    const index = Math.max(...used) + 1;
    if (index > 255) {
      this.study.error = 'No label value is left (255 at most).';
      return null;
    }
    const color = [...(NEW_COLOURS[this.extra.length % NEW_COLOURS.length] ?? [255, 255, 255])] as [number, number, number];
    return (await this.#save([...this.extra, { index, name: name.trim(), color }])) ? index : null;
  }

  rename(index: number, name: string): Promise<boolean> {
    return this.#save(this.extra.map((l) => (l.index === index ? { ...l, name: name.trim() } : l)));
  }

  recolour(index: number, hex: string): Promise<boolean> {
    const color: [number, number, number] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
    return this.#save(this.extra.map((l) => (l.index === index ? { ...l, color } : l)));
  }

  remove(index: number): Promise<boolean> {
    return this.#save(this.extra.filter((l) => l.index !== index));
  }

  async #save(extra: ExtraLabel[]): Promise<boolean> {
    const r = await hsam.labelSet.set({ extra });
    if (!r.ok) {
      this.study.report(r.error, 'label-set');
      return false;
    }
    this.extra = r.value.extra;
    this.study.succeeded('label-set');
    return true;
  }
}

export const hex = (c: readonly number[]): string => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
