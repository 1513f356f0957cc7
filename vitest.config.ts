import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['common/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/src/**/*.test.ts', 'e2e/**/*.test.ts', 'native-models/**/*.test.ts'],
    testTimeout: 60_000,
    // expect.poll waits on the UI and on worker threads; vitest's 1 s default is too short for a
    // cold Chromium start or a loaded 2-core machine.
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
    // Two cores: e2e (Chromium) and model tests are heavy; do not run files in parallel with them.
    fileParallelism: false,
  },
});
