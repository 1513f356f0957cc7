/**
 * Checks the Python interpreter the user configured for fine-tuning: runs it directly (never
 * through a shell, so a path with spaces or quotes is just a path) with a short script that
 * reports its version and whether numpy and torch import, and whether torch sees CUDA.
 *
 * The check never throws: every outcome (interpreter missing, not executable, not Python, too
 * old, torch missing, hung past the timeout) is a `PythonCheck` with `ok: false` and a message
 * that names the path and says what to do. A structured result rather than an exception because
 * the settings screen shows the same fields whether the check passed or failed; a caller that
 * needs a working trainer turns a failed check into a `UserFacingError` with `requirePython`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { PythonCheck as ContractPythonCheck } from '../../../common/contract/learning.js';
import { UserFacingError } from '../../../common/contract/result.js';

/** The contract's check, plus the details a log or the CLI shows. */
export interface PythonCheck extends ContractPythonCheck {
  /** False when the path could not be run at all (missing, not executable, not Python). */
  readonly found: boolean;
  /** `sys.executable`: what the configured name resolved to. */
  readonly executable: string | null;
  readonly numpy: string | null;
  /** Why `import torch` failed (e.g. "ModuleNotFoundError: No module named 'torch'"). */
  readonly torchError: string | null;
  readonly numpyError: string | null;
  /** Name of CUDA device 0 when `cuda`. */
  readonly cudaDevice: string | null;
}

export interface CheckPythonOptions {
  /** Give up after this long (a first `import torch` can take tens of seconds on a cold disk). */
  readonly timeoutMs?: number;
  /** How the user sets the interpreter, appended to failure messages. */
  readonly howToConfigure?: string;
  /** Stops the check (the interpreter is killed); the result then says it was cancelled. */
  readonly signal?: AbortSignal;
}

/** The oldest Python the trainer (native-models) runs on. */
export const MIN_PYTHON: readonly [number, number] = [3, 8];

const DEFAULT_HOW = 'choose another Python interpreter in the fine-tuning settings';
const MARK = 'HSAM-PYTHON-CHECK ';

// Python 2 compatible on purpose, so an old interpreter is reported as too old, not as a crash.
const SCRIPT = `
import json, sys
r = {"executable": sys.executable, "version": "%d.%d.%d" % tuple(sys.version_info[:3])}
try:
    import numpy
    r["numpy"] = numpy.__version__
except Exception as e:
    r["numpyError"] = "%s: %s" % (type(e).__name__, e)
try:
    import torch
    r["torch"] = torch.__version__
    r["cuda"] = bool(torch.cuda.is_available())
    if r["cuda"]:
        r["cudaDevice"] = torch.cuda.get_device_name(0)
except Exception as e:
    r["torchError"] = "%s: %s" % (type(e).__name__, e)
sys.stdout.write("${MARK}" + json.dumps(r) + "\\n")
`;

interface ScriptReport {
  executable?: string;
  version?: string;
  numpy?: string;
  numpyError?: string;
  torch?: string;
  torchError?: string;
  cuda?: boolean;
  cudaDevice?: string;
}

/**
 * The interpreter to offer before the user configured one: `HSAM_PYTHON`, else Debian's
 * /usr/bin/python3 (where the README installs torch), else `python3` (`python` on Windows)
 * from PATH.
 */
export function defaultPython(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['HSAM_PYTHON'];
  if (fromEnv) return fromEnv;
  if (process.platform === 'win32') return 'python';
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function failed(python: string, found: boolean, message: string, report: ScriptReport = {}): PythonCheck {
  return {
    python,
    ok: false,
    found,
    executable: report.executable ?? null,
    version: report.version ?? null,
    torch: report.torch ?? null,
    torchError: report.torchError ?? null,
    numpy: report.numpy ?? null,
    numpyError: report.numpyError ?? null,
    cuda: report.cuda ?? false,
    cudaDevice: report.cudaDevice ?? null,
    message,
  };
}

const tail = (s: string, lines = 3): string => s.trim().split('\n').slice(-lines).join(' | ');

function versionAtLeast(v: string, min: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = v.split('.').map((x) => Number.parseInt(x, 10));
  return major > min[0] || (major === min[0] && minor >= min[1]);
}

/** Run `python` with the check script; resolves with what it found, never rejects. */
export function checkPython(python: string, opts: CheckPythonOptions = {}): Promise<PythonCheck> {
  const how = opts.howToConfigure ?? DEFAULT_HOW;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  if (python.trim() === '') return Promise.resolve(failed(python, false, `No Python interpreter is configured; ${how}.`));
  return new Promise((resolve) => {
    execFile(
      python,
      ['-c', SCRIPT],
      // The environment the trainer will get, so the check sees what the trainer will see.
      { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true, encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, PYTHONIOENCODING: 'utf-8' }, ...(opts.signal ? { signal: opts.signal } : {}) },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith(MARK));
        if (!line) {
          const err = error as (NodeJS.ErrnoException & { killed?: boolean }) | null;
          if (opts.signal?.aborted) {
            resolve(failed(python, false, 'The Python check was cancelled.'));
          } else if (err?.code === 'ENOENT') {
            resolve(failed(python, false, `Python was not found at "${python}"; install Python 3 with PyTorch or ${how}.`));
          } else if (err?.code === 'EACCES' || err?.code === 'EPERM') {
            resolve(failed(python, false, `"${python}" cannot be run (permission denied, or it is a folder); ${how}.`));
          } else if (err?.killed) {
            resolve(failed(python, true, `"${python}" did not answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`} (importing torch hung?); ${how}.`));
          } else {
            const why = tail(stderr) || (err ? err.message : 'it printed nothing');
            resolve(failed(python, false, `"${python}" is not a working Python interpreter (${why}); ${how}.`));
          }
          return;
        }
        let report: ScriptReport;
        try {
          report = JSON.parse(line.slice(MARK.length)) as ScriptReport;
        } catch {
          resolve(failed(python, false, `"${python}" answered the check with something unreadable; ${how}.`));
          return;
        }
        const version = report.version ?? '?';
        const min = `${MIN_PYTHON[0]}.${MIN_PYTHON[1]}`;
        if (!versionAtLeast(version, MIN_PYTHON)) {
          resolve(failed(python, true, `"${python}" is Python ${version}; fine-tuning needs Python ${min} or newer with PyTorch; ${how}.`, report));
        } else if (!report.torch) {
          resolve(failed(python, true, `PyTorch cannot be imported by "${python}" (Python ${version}: ${report.torchError ?? 'unknown error'}); install torch for it or ${how}.`, report));
        } else if (!report.numpy) {
          resolve(failed(python, true, `numpy cannot be imported by "${python}" (${report.numpyError ?? 'unknown error'}); install numpy for it or ${how}.`, report));
        } else {
          const device = report.cuda ? `CUDA available (${report.cudaDevice ?? 'GPU 0'})` : 'no CUDA: fine-tuning runs on the CPU';
          resolve({
            ...failed(python, true, '', report),
            ok: true,
            message: `Python ${version} with torch ${report.torch}, numpy ${report.numpy}; ${device}.`,
          });
        }
      },
    );
  });
}

/** A check that failed as the error a caller reports to the user; a passed check is returned. */
export function requirePython(check: PythonCheck): PythonCheck {
  if (!check.ok) throw new UserFacingError(check.found ? 'invalid-argument' : 'not-found', check.message);
  return check;
}
