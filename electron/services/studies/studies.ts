/**
 * The open studies of a workstation, by volume id. Two opened volumes of one source (the same
 * file, or the same series of a folder) are one study: they share its labels and journal, and
 * the study closes with the last of them.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { UserFacingError } from '../../../common/contract/result.js';
import { axialAxis } from '../../../common/geometry.js';
import type { Volume } from '../imaging/volume.js';
import { LabelSession } from '../labels/label-session.js';
import { Study } from './study.js';

interface Entry {
  readonly study: Promise<Study>;
  /** Opened volumes of this study. */
  readonly volumes: Set<string>;
}

export class Studies {
  readonly #byKey = new Map<string, Entry>();
  readonly #keyOf = new Map<string, string>();

  /**
   * `sessionsDir`: where label sessions (journal and snapshots) live; one folder per study.
   * `log`: failures that fail no action (the kept uncertainty not saved or not restored).
   * `notify`: the same failures once the study is open, for each of its volumes (the user sees them).
   */
  constructor(
    private readonly sessionsDir: string,
    private readonly log: (line: string) => void = () => {},
    private readonly notify: (volumeId: string, message: string) => void = () => {},
  ) {}

  /** Open (or join) the study of a volume just read; `source` is its file or folder, `key` names it (path and series). */
  async open(volumeId: string, volume: Volume, source: string, key = source): Promise<Study> {
    let entry = this.#byKey.get(key);
    if (entry) {
      const study = await entry.study;
      study.replaceVolume(volume);
    } else {
      const dir = join(this.sessionsDir, createHash('sha256').update(key).digest('hex').slice(0, 24));
      const opening = LabelSession.open({ dir, dims: volume.dims, statusAxis: axialAxis(volume.direction) }).then(async ({ session, restored }) => {
        // While it opens (its uncertainty not restored), the renderer holds a notice until it shows the volume.
        const tell = (message: string): void => {
          for (const v of this.#byKey.get(key)?.volumes ?? []) this.notify(v, message);
        };
        const study = new Study(key, source, volume, session, restored, this.log, tell);
        await study.restoreUncertainty();
        return study;
      });
      entry = { study: opening, volumes: new Set() };
      this.#byKey.set(key, entry);
      opening.catch(() => this.#byKey.delete(key));
    }
    entry.volumes.add(volumeId);
    this.#keyOf.set(volumeId, key);
    return entry.study;
  }

  /** The study of an opened volume; a sentence when it is no longer open. */
  get(volumeId: string): Promise<Study> {
    const key = this.#keyOf.get(volumeId);
    const entry = key === undefined ? undefined : this.#byKey.get(key);
    if (!entry) return Promise.reject(new UserFacingError('not-found', 'That volume is no longer open; open the file again.'));
    return entry.study;
  }

  /** A volume closed: save its study's labels, and close the study with its last volume. */
  async close(volumeId: string): Promise<boolean> {
    const key = this.#keyOf.get(volumeId);
    this.#keyOf.delete(volumeId);
    const entry = key === undefined ? undefined : this.#byKey.get(key);
    if (!entry || key === undefined) return false;
    entry.volumes.delete(volumeId);
    const last = entry.volumes.size === 0;
    if (last) this.#byKey.delete(key);
    const study = await entry.study;
    const { session } = study;
    // The last run's uncertainty reaches the disk before the study can be opened again.
    await study.uncertaintySaved();
    await session.save();
    if (last) await session.close();
    return true;
  }

  async dispose(): Promise<void> {
    for (const id of [...this.#keyOf.keys()]) await this.close(id);
  }
}
