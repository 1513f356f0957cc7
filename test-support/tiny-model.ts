/**
 * A real H-SAM model folder for tests: the tiny configuration with random weights, written in
 * the official two-file checkpoint layout and converted by our own native-models CLI, then run
 * by onnxruntime-node exactly like a shipped model. Built once per change of the model code and
 * kept under the OS temp folder.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { PYTHON } from './python.js';

function sourceHash(): string {
  const h = createHash('sha256');
  const pkg = join(REPO_ROOT, 'native-models', 'hsam');
  // Every module, hsam/modeling/ and hsam/commands/ too: a change there changes the graphs as well.
  const files = readdirSync(pkg, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.py')).sort();
  for (const f of files) h.update(f).update('\0').update(readFileSync(join(pkg, f))).update('\0');
  h.update(readFileSync(join(REPO_ROOT, 'native-models', 'hsam.py')));
  return h.digest('hex').slice(0, 16);
}

/** Folder of a tiny random-weight model with 8 classes at the given input size. */
export function tinyModel(imgSize = 224): string {
  const dir = join(tmpdir(), 'hsam-test-models', `tiny-${imgSize}-${sourceHash()}`);
  if (existsSync(join(dir, 'model.json'))) return dir;
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const cli = join(REPO_ROOT, 'native-models', 'hsam.py');
  const run = (args: string[]): void => void execFileSync(PYTHON, [cli, ...args], { cwd: work, stdio: 'pipe' });
  run(['make-random', '--size', 'tiny', '--img-size', String(imgSize), '--num-classes', '8', '--seed', '7', '--sam-out', 'sam.pth', '--hsam-out', 'hsam.pth']);
  run(['convert', '--sam', 'sam.pth', '--hsam', 'hsam.pth', '--vit', 'tiny', '--img-size', String(imgSize), '--num-classes', '8', '--out', 'model']);
  rmSync(dir, { recursive: true, force: true });
  renameSync(join(work, 'model'), dir);
  rmSync(work, { recursive: true, force: true });
  return dir;
}
