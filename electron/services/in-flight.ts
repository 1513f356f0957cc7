/**
 * Promises still running, so a shutdown can wait for them before it pulls anything from under
 * them (a worker terminated inside onnxruntime aborts the process; a label session closed under a
 * model run loses its slices).
 */
export class InFlight {
  readonly #live = new Set<Promise<void>>();

  /** Follow `p` until it settles; returns `p` itself. */
  track<T>(p: Promise<T>): Promise<T> {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.#live.add(settled);
    void settled.then(() => this.#live.delete(settled));
    return p;
  }

  /** Resolves once everything tracked so far has settled, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.#live), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
