/**
 * The app as users get it: `npm run dist:linux`'s packaging (electron-builder, then tar) run on
 * this checkout with a stand-in Electron distribution (Electron's binary cannot be downloaded on
 * our build machines), into a folder outside the checkout so nothing resolves from the
 * repository's own node_modules. Then the packaged tree itself is checked: what main, the
 * preload and the workers load resolves inside the package, every path main computes for a
 * packaged app exists, and the package's own command line runs `info` and `segment`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test-support/paths.js';
import { appPaths } from '../services/app-paths.js';
import { workerFile } from '../services/workers/start-worker.js';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(archive: string, opts: { isPack: boolean }): string[]; extractFile(archive: string, file: string): Buffer };
const ELECTRON_VERSION = (require('electron/package.json') as { version: string }).version;
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let out: string;
let tree: string;
let resources: string;
let archive: Set<string>;

/** Run a packaged command; its environment has no NODE_PATH and its working folder is empty. */
function runIn(cmd: string, args: readonly string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'hsam-pkg-cwd-'));
  const { NODE_PATH: _np, ...rest } = process.env;
  const r = spawnSync(cmd, args, { cwd, env: { ...rest, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'hsam-package-'));
  // A stand-in Electron distribution: its `electron`, run as Node (ELECTRON_RUN_AS_NODE=1), is Node.
  const dist = join(out, 'electron-dist');
  mkdirSync(dist);
  writeFileSync(join(dist, 'electron'), `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] && exec "${process.execPath}" "$@"\necho "stand-in Electron ${ELECTRON_VERSION}"\n`);
  chmodSync(join(dist, 'electron'), 0o755);
  writeFileSync(join(dist, 'version'), ELECTRON_VERSION);
  writeFileSync(join(dist, 'LICENSE'), 'stand-in');
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'dist.mjs'), 'linux', `-c.electronDist=${dist}`, `-c.electronVersion=${ELECTRON_VERSION}`, `-c.directories.output=${join(out, 'release')}`], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
  tree = join(out, 'release', 'linux-unpacked');
  resources = join(tree, 'resources');
  archive = new Set(asar.listPackage(join(resources, 'app.asar'), { isPack: false }).map((p) => p.replace(/^[\\/]/, '')));
}, 300_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Non-builtin module specifiers a bundle loads at run time (require, import, dynamic import). */
function externals(bundle: string): string[] {
  const text = readFileSync(bundle, 'utf8');
  const found = new Set<string>();
  const loads = /\brequire\(\s*["']([^"'\s./][^"'\s]*)["']|\bimport\(\s*["']([^"'\s./][^"'\s]*)["']|^\s*import\s[^;]*?\bfrom\s*["']([^"'\s./][^"'\s]*)["']/gm;
  for (const m of text.matchAll(loads)) {
    const spec = (m[1] ?? m[2] ?? m[3]!).replace(/^node:/, '');
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
    if (!builtinModules.includes(pkg)) found.add(pkg);
  }
  return [...found].sort();
}

/** The folder Node resolves a package to from `file`, walking up node_modules folders. */
function packageDir(file: string, pkg: string): string | null {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', pkg, 'package.json');
    if (existsSync(candidate)) return dirname(candidate);
    if (dirname(dir) === dir) return null;
  }
}

describe('the packaged Linux app (electron-builder --linux dir, then tar.gz)', () => {
  it('holds the app, its tar.gz, and no file of the build machine', () => {
    expect(existsSync(join(tree, 'hsam-workstation'))).toBe(true);
    const tarball = join(out, 'release', `hsam-workstation-${VERSION}-linux-x64.tar.gz`);
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
    expect(listing).toContain(`hsam-workstation-${VERSION}/resources/app.asar`);
    console.log(`linux-unpacked: ${execFileSync('du', ['-sh', tree], { encoding: 'utf8' }).split('\t')[0]} (stand-in Electron); tar.gz ${(statSync(tarball).size / 2 ** 20).toFixed(1)} MiB`);
    // Only what runs: the bundles, not the sources, tests, maps or development tools.
    expect([...archive].filter((p) => /\.(ts|map)$/.test(p) && !p.endsWith('.d.ts') && !p.includes('node_modules'))).toEqual([]);
    for (const dev of ['vitest', 'electron-builder', 'typescript', 'esbuild', 'playwright-core', '@kitware/vtk.js', 'svelte']) {
      expect(archive.has(`node_modules/${dev}/package.json`), dev).toBe(false);
    }
    // onnxruntime-node's binaries for this platform only.
    const napi = join(resources, 'app.asar.unpacked', 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
    expect(readdirSync(napi)).toEqual(['linux']);
    expect(readdirSync(join(napi, 'linux'))).toEqual([process.arch]);
  });

  it('every module main, the preload and the workers load resolves inside the package', () => {
    for (const f of ['dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/renderer/index.html', 'package.json']) expect(archive.has(f), f).toBe(true);
    // Main and the preload are bundles that load nothing but Electron (and, for the About dialog,
    // onnxruntime-node's package.json, which Electron finds in the archive's node_modules).
    const unpacked = join(resources, 'app.asar.unpacked');
    const fromArchive = (p: string): string => {
      const file = join(out, basename(p));
      writeFileSync(file, asar.extractFile(join(resources, 'app.asar'), p));
      return file;
    };
    // onnxruntime-node is loaded by the inference worker; main only reads its version (About).
    expect(externals(fromArchive('dist/electron/main.cjs'))).toEqual(['electron']);
    expect(externals(fromArchive('dist/electron/preload.cjs'))).toEqual(['electron']);
    expect(archive.has('node_modules/onnxruntime-node/package.json')).toBe(true);
    // Workers and the command line are real files (worker threads cannot start from an archive)
    // and resolve every package from beside themselves.
    const bundles = [
      'dist/electron/dicom-worker.mjs',
      'dist/electron/inference-worker.mjs',
      'dist/electron/graph-worker.mjs',
      'dist/cli/hsam.js',
      'dist/cli/dicom-worker.mjs',
      'dist/cli/inference-worker.mjs',
      'dist/cli/graph-worker.mjs',
    ];
    for (const b of bundles) {
      const file = join(unpacked, b);
      expect(existsSync(file), b).toBe(true);
      for (const pkg of externals(file)) {
        const found = packageDir(file, pkg);
        expect(found, `${b} loads ${pkg}`).not.toBeNull();
        expect(relative(unpacked, found!).startsWith('..'), `${b} loads ${pkg} from outside the package: ${found}`).toBe(false);
      }
    }
    // Main, in the archive, starts its workers from their unpacked files.
    const mainUrl = pathToFileURL(join(resources, 'app.asar', 'dist', 'electron', 'main.cjs')).href;
    for (const w of ['dicom-worker.mjs', 'inference-worker.mjs']) expect(existsSync(workerFile(mainUrl, w)), w).toBe(true);
    // The inference worker starts a small model's decoder thread from beside itself.
    const inferenceUrl = pathToFileURL(join(unpacked, 'dist', 'electron', 'inference-worker.mjs')).href;
    expect(existsSync(workerFile(inferenceUrl, 'graph-worker.mjs'))).toBe(true);
    // The WebAssembly codecs and the native addon are real files.
    for (const f of ['node_modules/@cornerstonejs/codec-openjpeg/dist/openjpegwasm_decode.wasm', 'node_modules/dcmjs-codecs/build/dcmjs-native-codecs.wasm']) {
      expect(existsSync(join(unpacked, f)), f).toBe(true);
    }
    expect(readdirSync(join(unpacked, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', process.arch)).some((f) => f.endsWith('.node'))).toBe(true);
  });

  it('every path main computes for the packaged app exists', () => {
    const p = appPaths({ isPackaged: true, appRoot: join(resources, 'app.asar'), resourcesPath: resources });
    expect(archive.has(relative(join(resources, 'app.asar'), join(p.rendererDir, 'index.html')))).toBe(true);
    for (const path of [p.samplePath, join(p.defaultModelDir, 'model.json'), p.labelSchemasDir, p.trainerScript, p.licensesPath]) {
      expect(existsSync(path), path).toBe(true);
    }
    const card = JSON.parse(readFileSync(join(p.defaultModelDir, 'model.json'), 'utf8')) as { files: Record<string, { path: string }> };
    for (const f of Object.values(card.files)) expect(existsSync(join(p.defaultModelDir, f.path)), f.path).toBe(true);
    expect(readFileSync(p.licensesPath, 'utf8')).toContain('onnxruntime-node');
  });

  it("the package's command line runs info and segment on the shipped sample, with the shipped model", () => {
    const sample = join(resources, 'resources', 'sample', 'example_ct_sm.nii.gz');
    // As an installed app runs it: the launcher, on the app's own Node (Electron as Node).
    const info = runIn(join(resources, 'bin', 'hsam'), ['info', sample]);
    expect(info.code, info.err).toBe(0);
    expect((JSON.parse(info.out) as { dims: number[] }).dims).toEqual([122, 101, 30]);
    const labels = join(out, 'labels.nii.gz');
    const seg = runIn(process.execPath, [join(resources, 'app.asar.unpacked', 'dist', 'cli', 'hsam.js'), 'segment', sample, '--out', labels, '--device', 'cpu']);
    expect(seg.code, seg.err).toBe(0);
    const summary = JSON.parse(seg.out) as { model: { name: string }; completed: number };
    expect(summary.model.name).toBe('hsam-tiny-demo');
    expect(summary.completed).toBe(30);
    expect(statSync(labels).size).toBeGreaterThan(1000);
  }, 120_000);
});
