/**
 * Child process of the imaging benchmark (bundled by it beside a copy of the DICOM worker): opens
 * a DICOM folder's first series twice in one process, the second time after the pool's idle
 * workers have ended, as the workstation opens the next study of the day: OpenJPEG is compiled
 * already, the worker threads start anew. Prints both times in seconds as JSON.
 */
import { loadDicomSeries, scanDicomFolder } from '../electron/services/imaging/dicom/loader.js';
import { useBaselineWasmCompiler } from '../electron/services/imaging/dicom/wasm.js';

// As the app's main does at start.
useBaselineWasmCompiler();

const [dir, waitMs] = process.argv.slice(2);
if (!dir) throw new Error('usage: open-twice <dicom folder> [ms between the two opens]');

async function open(): Promise<number> {
  const t = performance.now();
  const scan = await scanDicomFolder(dir as string);
  const series = scan.series[0];
  if (!series) throw new Error(`${dir}: no series`);
  await loadDicomSeries(series);
  return (performance.now() - t) / 1000;
}

const first = await open();
await new Promise((resolve) => setTimeout(resolve, Number(waitMs ?? 0)));
const second = await open();
process.stdout.write(`${JSON.stringify({ first, second })}\n`);
