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
]);
