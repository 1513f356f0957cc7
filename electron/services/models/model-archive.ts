/**
 * A zipped model folder (model.json and its graphs, at the top of the archive or in one folder),
 * unpacked into a fresh folder for the registry to validate and take in. Entries that would land
 * outside that folder, and archives that inflate past a bound, are refused before anything is
 * written.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, normalize, sep } from 'node:path';
import { unzip, type Unzipped } from 'fflate';
import { UserFacingError } from '../../../common/contract/result.js';

/** Larger than any SAM/H-SAM export (ViT-H ~2.6 GB): a bound against zip bombs, not a model limit. */
const MAX_UNPACKED_BYTES = 4 * 2 ** 30;

const unzipped = (data: Uint8Array, filter: (name: string, size: number) => boolean): Promise<Unzipped> =>
  new Promise((res, rej) => unzip(data, { filter: (f) => filter(f.name, f.originalSize) }, (e, out) => (e ? rej(e) : res(out))));

/** Unpack `zipPath` under `into` (created); returns the folder holding model.json. */
export async function unpackModelArchive(zipPath: string, into: string): Promise<string> {
  const name = basename(zipPath);
  const data = await readFile(zipPath);
  let total = 0;
  let files: Unzipped;
  try {
    files = await unzipped(data, (entry, size) => {
      const rel = normalize(entry);
      if (entry.startsWith('/') || /^[A-Za-z]:/.test(entry) || rel.split(sep).includes('..')) {
        throw new UserFacingError('unreadable', `${name} has an entry outside its own folder ("${entry}"); it was not unpacked.`);
      }
      total += size;
      if (total > MAX_UNPACKED_BYTES) throw new UserFacingError('unreadable', `${name} unpacks to more than ${MAX_UNPACKED_BYTES / 2 ** 30} GB; it was not unpacked.`);
      return !entry.endsWith('/');
    });
  } catch (e) {
    if (e instanceof UserFacingError) throw e;
    throw new UserFacingError('unreadable', `${name} is not a readable zip archive (${e instanceof Error ? e.message : String(e)}).`);
  }
  const cards = Object.keys(files).filter((f) => basename(f) === 'model.json');
  if (cards.length !== 1) {
    throw new UserFacingError('unreadable', `${name} holds ${cards.length === 0 ? 'no model.json' : `${cards.length} model.json files`}; zip one model folder (model.json and its ONNX graphs).`);
  }
  await mkdir(into, { recursive: true });
  try {
    for (const [entry, bytes] of Object.entries(files)) {
      const dest = join(into, normalize(entry));
      await mkdir(dirname(dest), { recursive: true });
      await writeFile(dest, bytes);
    }
  } catch (e) {
    await rm(into, { recursive: true, force: true });
    throw new UserFacingError('unreadable', `Could not unpack ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return join(into, dirname(normalize(cards[0]!)));
}
