/**
 * Independent references for tests: Debian's Python (nibabel, pydicom, numpy) run as a child
 * process. Always /usr/bin/python3: that is where Debian's packages are installed.
 */
import { execFileSync } from 'node:child_process';

export const PYTHON = process.env['HSAM_PYTHON'] ?? '/usr/bin/python3';

/** Run a Python snippet that reads `arg` as JSON on stdin and prints one JSON document. */
export function pythonJson<T>(code: string, arg: unknown): T {
  const out = execFileSync(PYTHON, ['-c', code], { input: JSON.stringify(arg), encoding: 'utf8', maxBuffer: 256 << 20 });
  return JSON.parse(out) as T;
}
