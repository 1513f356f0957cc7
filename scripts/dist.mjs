// Packages the workstation with electron-builder (configuration: electron-builder.yml).
//   npm run dist                 installers for every platform (a release machine with network:
//                                electron-builder fetches Electron, AppImage, fpm and NSIS)
//   npm run dist:linux -- [opts] the unpacked Linux tree and its .tar.gz, offline; opts are passed
//                                to electron-builder (the packaged-tree test passes a stand-in
//                                Electron with -c.electronDist=… -c.electronVersion=…)
// The package ships the third-party licence notices `npm run build` writes (generate-license-file,
// from the production dependency tree); the About dialog shows them.
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
/** @param {string} name */
const bin = (name) => join(root, 'node_modules', '.bin', name);
/** @param {string} cmd @param {string[]} args */
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const [mode = 'all', ...passed] = process.argv.slice(2);
// `npm run build` (run before this by the npm scripts) wrote build/third-party-licenses.txt.

if (mode === 'all') {
  run(bin('electron-builder'), ['--linux', '--win', '--mac', ...passed]);
} else if (mode === 'linux') {
  // electron-builder's own tar.gz target downloads a tool; the archive of the unpacked tree is
  // the same thing, made here with the system's tar.
  run(bin('electron-builder'), ['--linux', 'dir', ...passed]);
  const outArg = passed.find((a) => a.startsWith('-c.directories.output='));
  const out = outArg ? resolve(root, outArg.slice(outArg.indexOf('=') + 1)) : join(root, 'release');
  const version = /"version":\s*"([^"]+)"/.exec(readFileSync(join(root, 'package.json'), 'utf8'))?.[1] ?? '0.0.0';
  const top = `hsam-workstation-${version}`;
  rmSync(join(out, top), { recursive: true, force: true });
  renameSync(join(out, 'linux-unpacked'), join(out, top));
  try {
    run('tar', ['-czf', join(out, `${top}-linux-x64.tar.gz`), '-C', out, top]);
  } finally {
    renameSync(join(out, top), join(out, 'linux-unpacked'));
  }
} else {
  throw new Error(`usage: node scripts/dist.mjs [all|linux] [electron-builder options]`);
}
