/**
 * The Python check against real interpreters: Debian's (torch, no CUDA on this machine), a path
 * that does not exist, a program that is not Python, and a Python without torch when PATH has
 * one (pyenv's here; skipped elsewhere).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../common/contract/result.js';
import { PYTHON } from '../../../test-support/python.js';
import { checkPython, requirePython } from './python-env.js';

/** torch's version and CUDA flag as the interpreter itself reports them. */
const truth = JSON.parse(
  execFileSync(PYTHON, ['-c', 'import json, platform, torch, numpy; print(json.dumps([platform.python_version(), torch.__version__, torch.cuda.is_available(), numpy.__version__]))'], { encoding: 'utf8' }),
) as [string, string, boolean, string];

/** A python3 on PATH that cannot import torch, if there is one. */
function pythonWithoutTorch(): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const p = join(dir, 'python3');
    try {
      accessSync(p, constants.X_OK);
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    } catch (e) {
      if ((e as { status?: number }).status === 1) return p; // runs, but torch does not import
    }
  }
  return null;
}

describe('checkPython', () => {
  it('Debian Python: found, torch and numpy import, CUDA as torch says', async () => {
    const c = await checkPython(PYTHON);
    expect(c).toMatchObject({ python: PYTHON, ok: true, found: true, version: truth[0], torch: truth[1], cuda: truth[2], numpy: truth[3], torchError: null });
    expect(c.executable).toMatch(/python/);
    if (truth[2]) expect(c.message).toMatch(/; CUDA available \(.+\)\.$/);
    else expect(c.message).toBe(`Python ${truth[0]} with torch ${truth[1]}, numpy ${truth[3]}; no CUDA: fine-tuning runs on the CPU.`);
    expect(requirePython(c)).toBe(c);
  });

  it('a missing interpreter: not found, the message names the path and how to configure it', async () => {
    const c = await checkPython('/nonexistent/bin/python3', { howToConfigure: 'pass --python PATH' });
    expect(c).toMatchObject({ ok: false, found: false, version: null, torch: null, cuda: false });
    expect(c.message).toBe('Python was not found at "/nonexistent/bin/python3"; install Python 3 with PyTorch or pass --python PATH.');
    expect(() => requirePython(c)).toThrow(UserFacingError);
    try {
      requirePython(c);
    } catch (e) {
      expect((e as UserFacingError).code).toBe('not-found');
    }
  });

  it('a program that is not Python, and a folder', async () => {
    const notPython = await checkPython('/bin/true');
    expect(notPython).toMatchObject({ ok: false, found: false });
    expect(notPython.message).toMatch(/^"\/bin\/true" is not a working Python interpreter \(it printed nothing\)/);
    const folder = await checkPython('/tmp');
    expect(folder).toMatchObject({ ok: false, found: false });
    expect(folder.message).toMatch(/^"\/tmp" cannot be run/);
    expect((await checkPython('  ')).message).toMatch(/^No Python interpreter is configured/);
  });

  it('a Python without torch: found, not usable, says torch is missing', async (ctx) => {
    const p = pythonWithoutTorch();
    if (!p) return ctx.skip();
    const c = await checkPython(p);
    expect(c).toMatchObject({ python: p, ok: false, found: true, torch: null, cuda: false });
    expect(c.version).toMatch(/^3\./);
    expect(c.torchError).toMatch(/No module named 'torch'/);
    expect(c.message).toContain(`PyTorch cannot be imported by "${p}"`);
    try {
      requirePython(c);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserFacingError);
      expect((e as UserFacingError).code).toBe('invalid-argument');
    }
  });

  it('gives up after the timeout (importing torch takes longer than 1 ms)', async () => {
    const c = await checkPython(PYTHON, { timeoutMs: 1 });
    expect(c).toMatchObject({ ok: false, found: true });
    expect(c.message).toMatch(/did not answer within 1 ms/);
  });

  it('an aborted check says so', async () => {
    const ac = new AbortController();
    const pending = checkPython(PYTHON, { signal: ac.signal });
    ac.abort();
    expect((await pending).message).toBe('The Python check was cancelled.');
  });
});
