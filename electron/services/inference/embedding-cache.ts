import type { EmbeddingStore } from './segment-volume.js';

/**
 * Image embeddings of recently encoded slices, bounded by bytes and evicted least recently used
 * first, so refining a slice later does not re-run the encoder (the costly graph).
 */
export class EmbeddingCache {
  readonly #entries = new Map<string, Float32Array>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): Float32Array | undefined {
    const e = this.#entries.get(key);
    if (e) {
      // Re-insert: Map iteration order is our recency order.
      this.#entries.delete(key);
      this.#entries.set(key, e);
    }
    return e;
  }

  set(key: string, value: Float32Array): void {
    const old = this.#entries.get(key);
    if (old) {
      this.#bytes -= old.byteLength;
      this.#entries.delete(key);
    }
    if (value.byteLength > this.maxBytes) return;
    this.#entries.set(key, value);
    this.#bytes += value.byteLength;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.byteLength;
    }
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** A per-volume view with slice numbers as keys, as the pipeline uses it. */
  forVolume(volumeKey: string): EmbeddingStore {
    const key = (z: number): string => `${volumeKey}#${z}`;
    return {
      has: (z) => this.has(key(z)),
      get: (z) => this.get(key(z)),
      set: (z, v) => this.set(key(z), v),
    };
  }
}
