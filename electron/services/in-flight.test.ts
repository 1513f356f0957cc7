import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';

describe('InFlight', () => {
  it('waits for what it tracks, failures included, and gives up after the timeout', async () => {
    const f = new InFlight();
    let release!: () => void;
    const slow = f.track(new Promise<void>((r) => (release = r)));
    void f.track(Promise.reject(new Error('fails'))).catch(() => undefined);
    const t0 = performance.now();
    await f.settled(50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    let done = false;
    const waiting = f.settled(10_000).then(() => (done = true));
    release();
    await slow;
    await waiting;
    expect(done).toBe(true);
  });
});
