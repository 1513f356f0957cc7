// Bundles the Node-side entry points with esbuild: Electron main and preload (CommonJS, as a
// sandboxed preload requires) and the `hsam` CLI (ESM). The renderer is built by Vite.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };

await Promise.all([
  build({
    ...common,
    entryPoints: ['electron/main/main.ts'],
    outfile: 'dist/electron/main.cjs',
    format: 'cjs',
    // Services find their worker files beside import.meta.url; give the CommonJS bundle one.
    define: { 'import.meta.url': '__hsamImportMetaUrl' },
    banner: { js: "const __hsamImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    // onnxruntime-node carries native binaries; electron is provided by the runtime.
    external: ['electron', 'onnxruntime-node'],
  }),
  build({
    ...common,
    entryPoints: ['electron/preload/preload.ts'],
    outfile: 'dist/electron/preload.cjs',
    format: 'cjs',
    external: ['electron'],
  }),
  build({
    ...common,
    entryPoints: ['electron/cli/main.ts'],
    outfile: 'dist/cli/hsam.js',
    format: 'esm',
    packages: 'external',
  }),
  // Worker threads, each beside every bundle that starts it (dist/electron and dist/cli).
  // DICOM: the codec packages stay external (they load their .wasm files from node_modules);
  // dcmjs is bundled: its ESM build sits in a package without "type", which Node 20 parses twice
  // to detect the module format, and every scan waits on a worker loading it (50 of 125 ms saved).
  // Inference: onnxruntime sessions and the volume pipeline; its packages stay external. Its
  // graph thread (a small model's decoder, pipelined) is started from it, beside it.
  ...[
    { entry: 'electron/services/imaging/dicom/worker.ts', out: 'dicom-worker.mjs', external: { external: ['@cornerstonejs/codec-openjpeg', 'dcmjs-codecs'] } },
    { entry: 'electron/services/inference/worker.ts', out: 'inference-worker.mjs', external: { packages: 'external' } },
    { entry: 'electron/services/inference/graph-thread.ts', out: 'graph-worker.mjs', external: { packages: 'external' } },
  ].flatMap(({ entry, out, external }) =>
    ['dist/electron', 'dist/cli'].map((dir) => build({ ...common, entryPoints: [entry], outfile: `${dir}/${out}`, format: 'esm', ...external })),
  ),
]);
