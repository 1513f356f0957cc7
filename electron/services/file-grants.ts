/**
 * Paths the user chose. The renderer only ever holds opaque file ids; main resolves them here.
 * A path enters only through main itself (open dialog, command line, drag and drop reported by
 * the preload, the app's own resources), so a compromised renderer cannot name an arbitrary file.
 */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { ChosenFile } from '../../common/contract/api.js';
import { UserFacingError } from '../../common/contract/result.js';

export type GrantOrigin = 'dialog' | 'command-line' | 'drop' | 'resource';

interface Grant {
  readonly path: string;
  readonly origin: GrantOrigin;
  readonly kind: ChosenFile['kind'];
}

export class FileGrants {
  readonly #byId = new Map<string, Grant>();

  grant(path: string, origin: GrantOrigin): ChosenFile {
    const absolute = resolve(path);
    for (const [fileId, g] of this.#byId) {
      if (g.path === absolute) return { fileId, name: basename(absolute), kind: g.kind };
    }
    const fileId = randomUUID();
    // A path that does not exist is granted as a file; reading it reports what is wrong.
    const kind = statSync(absolute, { throwIfNoEntry: false })?.isDirectory() ? 'folder' : 'file';
    this.#byId.set(fileId, { path: absolute, origin, kind });
    return { fileId, name: basename(absolute), kind };
  }

  /** The path behind a granted id; anything else is refused. */
  resolve(fileId: string): string {
    const g = this.#byId.get(fileId);
    if (!g) throw new UserFacingError('not-permitted', 'That file was not chosen in this session; open it again.');
    return g.path;
  }
}
