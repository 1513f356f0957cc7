/**
 * The user's settings (today: the Python interpreter for fine-tuning), one small JSON file in the
 * app's data folder, written atomically. An unreadable file is reported, not silently replaced.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { UserFacingError } from '../../../common/contract/result.js';
import { writeFileAtomic } from './atomic-write.js';

export const Settings = z.object({ python: z.string().min(1).optional() });
export type Settings = z.infer<typeof Settings>;

export async function readSettings(path: string): Promise<Settings> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new UserFacingError('unreadable', `Cannot read ${basename(path)}: ${e.message}`);
  });
  if (text === null) return {};
  try {
    return Settings.parse(JSON.parse(text));
  } catch {
    throw new UserFacingError('unreadable', `${path} is not a valid settings file; fix or remove it.`);
  }
}

export async function writeSettings(path: string, s: Settings): Promise<void> {
  await writeFileAtomic(path, [Buffer.from(`${JSON.stringify(Settings.parse(s), null, 2)}\n`)]);
}
