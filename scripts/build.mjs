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
  // The DICOM worker thread (parsing and WASM decoding), beside each bundle that starts it. Its
  // packages stay external: the codecs load their .wasm files from node_modules.
  ...['dist/electron', 'dist/cli'].map((dir) =>
    build({
      ...common,
      entryPoints: ['electron/services/imaging/dicom/worker.ts'],
      outfile: `${dir}/dicom-worker.mjs`,
      format: 'esm',
      packages: 'external',
    }),
  ),
  // The inference worker (onnxruntime sessions and the volume pipeline), likewise.
  ...['dist/electron', 'dist/cli'].map((dir) =>
    build({
      ...common,
      entryPoints: ['electron/services/inference/worker.ts'],
      outfile: `${dir}/inference-worker.mjs`,
      format: 'esm',
      packages: 'external',
    }),
  ),
]);
