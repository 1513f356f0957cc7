/**
 * The edit journal: an append-only file of label steps, each made durable (fsync) before the
 * edit is acknowledged, so a killed process loses nothing it acknowledged. Records carry a
 * length and a checksum; replay stops at the first torn or corrupt record (the one a crash cut
 * short) and reports how many it kept.
 *
 * Record: "HSJ1" | u32 LE payload length | 4 bytes of SHA-256(payload) | payload (an encoded step).
 */
import { createHash } from 'node:crypto';
import { open, readFile, type FileHandle } from 'node:fs/promises';

const MAGIC = Buffer.from('HSJ1', 'latin1');
const HEADER = 12;

const checksum = (payload: Uint8Array): Buffer => createHash('sha256').update(payload).digest().subarray(0, 4);

export class Journal {
  private constructor(
    readonly path: string,
    private handle: FileHandle,
  ) {}

  /** Open for appending, creating the file if needed. */
  static async open(path: string): Promise<Journal> {
    return new Journal(path, await open(path, 'a'));
  }

  /** Append one record and wait until it is on disk. */
  async append(payload: Uint8Array): Promise<void> {
    const header = Buffer.alloc(HEADER);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(payload.length, 4);
    checksum(payload).copy(header, 8);
    await this.handle.write(Buffer.concat([header, payload]));
    await this.handle.datasync();
  }

  /** Empty the journal (after a snapshot has made its records redundant). */
  async reset(): Promise<void> {
    await this.handle.truncate(0);
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

export interface Replay {
  readonly records: Uint8Array[];
  /** Bytes after the last good record: a torn write or damage; ignored. */
  readonly discardedBytes: number;
}

/** Every intact record of a journal file, in order; an absent file has none. */
export async function readJournal(path: string): Promise<Replay> {
  const bytes = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  });
  const records: Uint8Array[] = [];
  let at = 0;
  while (at + HEADER <= bytes.length) {
    if (!bytes.subarray(at, at + 4).equals(MAGIC)) break;
    const length = bytes.readUInt32LE(at + 4);
    const end = at + HEADER + length;
    if (end > bytes.length) break;
    const payload = bytes.subarray(at + HEADER, end);
    if (!checksum(payload).equals(bytes.subarray(at + 8, at + 12))) break;
    records.push(Uint8Array.from(payload));
    at = end;
  }
  return { records, discardedBytes: bytes.length - at };
}
