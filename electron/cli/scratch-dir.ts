/**
 * The command line's scratch folder for label sessions (a headless run journals like the app).
 * Named with the process id, removed when the run ends; a run killed with -9 cannot remove its
 * own, so every run first removes those whose process is gone.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'hsam-cli-';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, run by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Remove the scratch folders of runs that no longer exist; returns how many. */
export function removeStaleScratch(root = tmpdir()): number {
  let removed = 0;
  for (const name of readdirSync(root)) {
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || alive(Number(pid))) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** A new scratch folder for this process. */
export const makeScratch = (root = tmpdir()): string => mkdtempSync(join(root, `${PREFIX}${process.pid}-`));
