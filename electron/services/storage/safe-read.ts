/**
 * Reading what a user (or a hostile file) points at, within bounds: only regular files (a named
 * pipe would block a read forever, a device never ends), never more than a declared size, and
 * never an inflation past the size a header declares (a gzip bomb). Each refusal is a sentence
 * that names the file and what it is, or how big it claims to be.
 */
import { constants } from 'node:buffer';
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { createGunzip, gunzip, type InputType, type ZlibOptions } from 'node:zlib';
import { UserFacingError } from '../../../common/contract/result.js';
import { fileError } from './file-error.js';

const gunzipAsync = promisify<InputType, ZlibOptions, Buffer>(gunzip);

/**
 * The most voxel bytes one volume may claim: half the machine's memory, at most 16 GiB. Checked
 * before anything is allocated, so a header that claims terabytes is refused with its figure.
 */
export const VOXEL_BUDGET_BYTES = Math.min(totalmem() / 2, 16 * 2 ** 30);

/** "1.5 GB", "730 MB", "12 kB": sizes in a sentence. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return `${n} bytes`;
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let u = 0;
  let v = n;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** What a path is when it is not a regular file, in words. */
function kindOf(s: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Refuse anything but a regular file or, where `folders` allows, a folder (links are followed). */
export async function statInput(path: string, opts: { name?: string; role?: string; folders?: boolean } = {}): Promise<Stats> {
  const name = opts.name ?? basename(path);
  const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw fileError(opts.role ? `${opts.role} ${name}` : name, e);
  });
  if (!s.isFile() && !(opts.folders && s.isDirectory())) {
    throw new UserFacingError('unreadable', `Cannot read ${opts.role ? `${opts.role} ` : ''}${name}: it is ${kindOf(s)}, not a ${opts.folders ? 'file or folder' : 'file'}.`);
  }
  return s;
}

/** Refuse anything but a regular file (links are followed); returns its size. */
export async function regularFileSize(path: string, name = basename(path), role = ''): Promise<number> {
  return (await statInput(path, { name, role })).size;
}

/**
 * A regular file's bytes. `maxBytes` bounds the read: a larger file is refused, or with
 * `firstBytes` only its first `maxBytes` are read (data that a header says starts the file).
 */
export async function readRegularFile(path: string, opts: { name?: string; role?: string; maxBytes?: number; firstBytes?: boolean } = {}): Promise<Buffer> {
  const name = opts.name ?? basename(path);
  const max = opts.maxBytes ?? Infinity;
  let size = await regularFileSize(path, name, opts.role);
  if (size > max && !opts.firstBytes) {
    throw new UserFacingError('unreadable', `Cannot read ${opts.role ? `${opts.role} ` : ''}${name}: it is ${formatBytes(size)}, more than the ${formatBytes(max)} expected.`);
  }
  size = Math.min(size, max);
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw fileError(name, e);
  });
  try {
    // Read what stat said, no more: a file that grows meanwhile cannot make the read unbounded.
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    await fh.close();
  }
}

/** The first `n` bytes a gzip stream inflates to (fewer if it is shorter); inflates no more than that. */
export function gunzipPrefix(path: string, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const input = createReadStream(path);
    const gz = createGunzip();
    const done = (): void => {
      input.destroy();
      gz.destroy();
      resolve(Buffer.concat(chunks).subarray(0, n));
    };
    gz.on('data', (c: Buffer) => {
      chunks.push(c);
      have += c.length;
      if (have >= n) done();
    });
    gz.on('end', done);
    gz.on('error', reject);
    input.on('error', reject);
    input.pipe(gz);
  });
}

/**
 * Inflate gzip data that its header says holds `expected` bytes; refuse, without inflating more
 * than that, data that would grow past it (a gzip bomb) and data that is corrupt.
 */
export async function gunzipBounded(data: Buffer, expected: number, name: string): Promise<Buffer> {
  return gunzipAsync(data, { maxOutputLength: Math.max(1, Math.min(expected, constants.MAX_LENGTH)) }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UserFacingError('unreadable', `${name}: its compressed data inflates to more than the ${formatBytes(expected)} its header declares; it was not read further.`);
    }
    throw new UserFacingError('unreadable', `${name} is gzip-compressed but the data is corrupt or truncated.`);
  });
}

/** Refuse a volume whose declared voxels could not fit in memory, before allocating them. */
export function checkVoxelBudget(name: string, dims: readonly number[], bytesPerVoxel: number): void {
  const bytes = dims.reduce((a, b) => a * b, 1) * bytesPerVoxel;
  if (!Number.isFinite(bytes) || bytes > VOXEL_BUDGET_BYTES) {
    throw new UserFacingError(
      'unreadable',
      `${name} claims ${dims.join(' × ')} voxels (${formatBytes(bytes)}), more than this workstation can hold (${formatBytes(VOXEL_BUDGET_BYTES)}); it was not read.`,
    );
  }
}
