/** Process entry of the `hsam` command; kept apart so `runCli` is testable in-process. */
import { useBaselineWasmCompiler } from '../services/imaging/dicom/wasm.js';
import { runCli } from './hsam.js';

useBaselineWasmCompiler();

process.exitCode = await runCli(
  process.argv.slice(2),
  (s) => process.stdout.write(s),
  (s) => process.stderr.write(s),
);
