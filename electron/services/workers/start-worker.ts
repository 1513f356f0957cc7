/**
 * Starts a service's worker thread the same way whether we run from TypeScript sources (vitest,
 * `node --import tsx`) or from a bundle (dist/electron, dist/cli), where the build writes each
 * worker as its own .mjs beside the bundle.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * @param callerUrl `import.meta.url` of the module that starts the worker
 * @param sourceFile the worker's .ts file, relative to that module
 * @param bundledFile the worker's file name beside the bundle
 * @param resourceLimits the worker's V8 heap limits, if it needs other than Node's defaults
 */
export function startWorker(callerUrl: string, sourceFile: string, bundledFile: string, resourceLimits?: ResourceLimits): Worker {
  const options = resourceLimits ? { resourceLimits } : {};
  if (callerUrl.endsWith('.ts')) {
    // tsx's register() makes .ts importable inside the worker; `--import tsx` in execArgv is
    // ignored for worker threads on Node 20.
    const tsxRoot = dirname(createRequire(callerUrl).resolve('tsx/package.json'));
    const api = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
    const entry = new URL(sourceFile, callerUrl).href;
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { eval: true, ...options });
  }
  const bundled = workerFile(callerUrl, bundledFile);
  if (!existsSync(bundled)) throw new Error(`The worker ${bundledFile} is missing at ${bundled}; run "npm run build".`);
  return new Worker(bundled, options);
}

/**
 * A worker bundle beside the bundle that starts it. In an installed app that bundle is inside
 * resources/app.asar and the workers are unpacked beside the archive (app.asar.unpacked):
 * worker threads cannot start from an archive.
 */
export function workerFile(callerUrl: string, bundledFile: string): string {
  return join(dirname(fileURLToPath(callerUrl)), bundledFile).replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}
