/**
 * The worklist: the cases of a folder (volume files and DICOM series folders beside each other)
 * or of a list file (one path a line), and each case's status kept in one JSON file in the app's
 * data folder, written atomically so it survives a restart or a crash mid-save.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { CaseMark, type CaseStatus, type WorklistCase } from '../../../common/contract/worklist.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { VOLUME_FILE, volumeOutputName } from '../segment-outputs.js';

/** `hsam segment`'s output beside the inputs is a result, not a case. */
const LABEL_FILE = /\.labels\.nii\.gz$/i;

const Store = z.object({
  version: z.literal(1),
  cases: z.record(z.string(), CaseMark),
  /** The folder or list file open when the app last closed, reopened at start. */
  source: z.string().optional(),
});
type Store = z.infer<typeof Store>;

/** The cases a folder holds: its volume files and its sub-folders (each a DICOM series), sorted. */
export type FoundCase = { path: string; kind: WorklistCase['kind'] };

export async function casesInFolder(folder: string): Promise<FoundCase[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => !e.name.startsWith('.'))
    .flatMap((e): FoundCase[] => {
      const path = resolve(folder, e.name);
      if (e.isDirectory()) return [{ path, kind: 'dicom-folder' }];
      if (e.isFile() && VOLUME_FILE.test(e.name) && !LABEL_FILE.test(e.name)) return [{ path, kind: 'volume' }];
      return [];
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** The cases of a list file: one path a line, relative to the list's folder; `#` starts a comment. */
export async function casesInList(listFile: string): Promise<FoundCase[]> {
  const lines = (await readFile(listFile, 'utf8')).split(/\r?\n/);
  const out: FoundCase[] = [];
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const path = isAbsolute(line) ? line : resolve(dirname(listFile), line);
    const st = await stat(path).catch(() => null);
    if (!st) throw new UserFacingError('not-found', `${basename(listFile)} line ${i + 1}: ${line} does not exist.`);
    out.push({ path, kind: st.isDirectory() ? 'dicom-folder' : 'volume' });
  }
  return out;
}

/** Where `hsam segment <folder> --out <outFolder>` wrote a volume file's labels. */
export const segmentOutputFor = (folder: string, volumePath: string, outFolder: string): string => join(outFolder, volumeOutputName(folder, volumePath));

/** Case statuses, persisted in `<dataDir>/worklist.json`. */
export class WorklistStore {
  private constructor(
    private readonly file: string,
    private store: Store,
  ) {}

  static async open(dataDir: string): Promise<WorklistStore> {
    const file = join(dataDir, 'worklist.json');
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw new UserFacingError('unreadable', `Cannot read the worklist: ${e.message}`);
    });
    if (text === null) return new WorklistStore(file, { version: 1, cases: {} });
    try {
      return new WorklistStore(file, Store.parse(JSON.parse(text)));
    } catch {
      // Never overwrite what we cannot read: the annotator's progress may be in it.
      throw new UserFacingError('unreadable', `${file} is not a valid worklist file; fix or move it away.`);
    }
  }

  mark(path: string): CaseMark | null {
    return this.store.cases[resolve(path)] ?? null;
  }

  list(cases: readonly FoundCase[]): WorklistCase[] {
    return cases.map((c) => ({ ...c, mark: this.mark(c.path) }));
  }

  async set(path: string, status: CaseStatus, by: string, at = new Date()): Promise<CaseMark> {
    const mark = CaseMark.parse({ status, by, at: at.toISOString() });
    await this.#write({ ...this.store, cases: { ...this.store.cases, [resolve(path)]: mark } });
    return mark;
  }

  get source(): string | null {
    return this.store.source ?? null;
  }

  async setSource(path: string): Promise<void> {
    if (this.store.source !== resolve(path)) await this.#write({ ...this.store, source: resolve(path) });
  }

  async #write(next: Store): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, [Buffer.from(`${JSON.stringify(next, null, 2)}\n`)]);
    this.store = next; // only once on disk: a failed save leaves memory and file agreeing
  }

  /** The first case after `current` that is not yet reviewed or exported ("Save & next"). */
  next(cases: readonly WorklistCase[], current: string): WorklistCase | null {
    const i = cases.findIndex((c) => c.path === resolve(current));
    const after = [...cases.slice(i + 1), ...cases.slice(0, Math.max(i, 0))];
    return after.find((c) => { const s = this.mark(c.path)?.status; return s !== 'reviewed' && s !== 'exported'; }) ?? null;
  }
}
