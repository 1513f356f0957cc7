/**
 * Child process of the run-start benchmark: loads the demo model in the inference worker, makes
 * a 512×512×300 int16 CT-like volume, and starts two one-slice runs on it, handing the voxels to
 * the worker as the workstation did before (a structured-clone copy per run) or does now (moved
 * into shared memory once, then read in place). Prints, as JSON, each run's time from the call
 * to its result and the process's peak resident memory (VmHWM, reset before each run) over the
 * resident memory before it, in MiB.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inSharedMemory, type Volume } from '../electron/services/imaging/volume.js';
import { InferenceService } from '../electron/services/inference/inference-service.js';
import { REPO_ROOT } from '../test-support/paths.js';

const mode = process.argv[2];
if (mode !== 'clone' && mode !== 'shared') throw new Error('usage: run-start.child.ts clone|shared');

const status = (key: 'VmHWM' | 'VmRSS'): number => Number(/(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(key)) ?? '')?.[1]) / 1024;
/** Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current resident size. */
const resetPeak = (): void => writeFileSync('/proc/self/clear_refs', '5');

const [nx, ny, nz] = [512, 512, 300];
const voxels = new Int16Array(nx * ny * nz);
// Air around a body of soft tissue: values a CT has (so the pipeline takes it for CT), every page touched.
for (let k = 0; k < nz; k++)
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) voxels[i + nx * (j + ny * k)] = (i - 256) ** 2 + (j - 256) ** 2 < 200 ** 2 ? 40 + ((i * 7 + j * 13 + k) % 50) : -1000;
let volume: Volume = { name: 'bench', dims: [nx, ny, nz], spacing: [0.8, 0.8, 1.5], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], voxelType: 'int16', voxels, modality: 'CT' };

const service = new InferenceService();
await service.loadModel(join(REPO_ROOT, 'native-models', 'models', 'demo'), 'cpu');
const runs: { ms: number; peakOverRssMiB: number }[] = [];
for (let n = 0; n < 2; n++) {
  global.gc?.();
  const rss = status('VmRSS');
  resetPeak();
  const t = performance.now();
  if (mode === 'shared') volume = inSharedMemory(volume);
  // A new key each run: the worker's embedding cache must not answer for it.
  await service.segment(`run${n}`, volume, { slices: [nz >> 1], batch: 1 }).result;
  runs.push({ ms: performance.now() - t, peakOverRssMiB: status('VmHWM') - rss });
}
await service.dispose();
process.stdout.write(`${JSON.stringify({ mode, volumeMiB: voxels.byteLength / 2 ** 20, runs })}\n`);
