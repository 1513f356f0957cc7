/**
 * The uncertainty overlay's data: the last model runs' per-voxel entropy of the study on screen
 * (`segment.uncertainty`), fetched only while the overlay is shown (one byte a voxel: 75 MB on a
 * 512×512×300 CT, not worth holding when nobody looks) and again after each run and each undo
 * or redo of one (main hides an undone run's map). Per study: a newly shown study starts without
 * the last one's map.
 */
import { hsam, unwrap } from '../api/client';
import type { Study } from './study.svelte';

export class UncertaintyMap {
  /** Entropy ×255 per voxel of the study `volumeId`; null: not loaded, or no run yet. */
  values = $state.raw<Uint8Array | null>(null);
  volumeId = $state<string | null>(null);
  /** The study has had no model run: nothing to show yet. */
  none = $state(false);
  #request = 0;

  constructor(private readonly study: Study) {
    study.onShow(() => this.clear());
  }

  /** Fetch the map of the study on screen (after a run: the new one). */
  async load(): Promise<void> {
    const volumeId = this.study.meta?.volumeId;
    if (!volumeId) return;
    const request = ++this.#request;
    try {
      const r = unwrap(await hsam.segment.uncertainty({ volumeId }));
      // A later load, a clear or another study won meanwhile.
      if (request !== this.#request || this.study.meta?.volumeId !== volumeId) return;
      this.values = r?.values ?? null;
      this.volumeId = volumeId;
      this.none = r === null;
    } catch (e) {
      this.study.report(e);
    }
  }

  clear(): void {
    this.#request++;
    this.values = null;
    this.volumeId = null;
    this.none = false;
  }

  /** The map when it belongs to `volumeId`. */
  of(volumeId: string | undefined): Uint8Array | null {
    return volumeId !== undefined && volumeId === this.volumeId ? this.values : null;
  }
}
