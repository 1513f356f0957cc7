/** Where tests find the real data: `../shared/data` beside the repository (as CI lays it out). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SHARED_DATA = join(REPO_ROOT, '..', 'shared', 'data');
export const TOTALSEG = join(SHARED_DATA, 'totalsegmentator');

if (!existsSync(TOTALSEG)) {
  throw new Error(`Test data not found at ${TOTALSEG}; clone the repository beside ../shared.`);
}

/** Every file under a folder whose name matches, recursively, sorted. */
export function findFiles(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, pattern));
    else if (pattern.test(e.name)) out.push(p);
  }
  return out.sort();
}
