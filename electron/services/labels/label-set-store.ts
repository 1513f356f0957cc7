/**
 * The annotator's extra labels (see common/contract/label-set.ts), one JSON file in the app's data
 * folder written atomically. Checked against the loaded model's classes: an extra label may not
 * take a model class's value or name.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LabelSet, type ExtraLabel } from '../../../common/contract/label-set.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { ModelClass } from '../../../common/contract/segmentation.js';
import { writeFileAtomic } from '../storage/atomic-write.js';

export class LabelSetStore {
  #set: LabelSet | null = null;
  readonly #file: string;

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'label-set.json');
  }

  async get(): Promise<LabelSet> {
    if (this.#set) return this.#set;
    const text = await readFile(this.#file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw new UserFacingError('unreadable', `Cannot read the label set: ${e.message}`);
    });
    if (text === null) return (this.#set = { extra: [] });
    const parsed = LabelSet.safeParse(JSON.parse(text));
    // Never overwrite what we cannot read: the annotator's labels are named in it.
    if (!parsed.success) throw new UserFacingError('unreadable', `${this.#file} is not a valid label set; fix or move it away.`);
    return (this.#set = parsed.data);
  }

  async extra(): Promise<readonly ExtraLabel[]> {
    return (await this.get()).extra;
  }

  /** Replace the extra labels, after checking them against the model's classes. */
  async set(next: LabelSet, modelClasses: readonly ModelClass[]): Promise<LabelSet> {
    for (const l of next.extra) {
      const clash = modelClasses.find((c) => c.index === l.index || c.name.toLowerCase() === l.name.toLowerCase());
      if (clash) {
        throw new UserFacingError('invalid-argument', `"${l.name}" (${l.index}) clashes with the model's class "${clash.name}" (${clash.index}); pick another name.`);
      }
    }
    await mkdir(dirname(this.#file), { recursive: true });
    await writeFileAtomic(this.#file, [Buffer.from(`${JSON.stringify(next, null, 2)}\n`)]);
    this.#set = next;
    return next;
  }
}
