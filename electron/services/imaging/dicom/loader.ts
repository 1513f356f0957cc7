/**
 * DICOM folders into series lists and series into `Volume`s. Files are listed here, parsed,
 * decoded and rescaled on worker threads (pool.ts), and copied here into one typed array.
 *
 * Invariant: the voxel type is chosen from the header before decoding (the stored type if the
 * rescaled range of BitsStored fits it, else int16, int32, or float32 for fractional or
 * per-slice rescale), so each decoded slice is written once into the final array and dropped:
 * peak memory stays near one volume.
 *
 * Rejected with a UserFacingError: folders that cannot be read or hold no DICOM image, unknown
 * series ids, and series that planStack refuses; a file that fails to decode names itself.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { FolderScan } from '../../../../common/contract/dicom.js';
import type { VoxelType } from '../../../../common/contract/volume.js';
import { UserFacingError } from '../../../../common/contract/result.js';
import { fileError } from '../../storage/file-error.js';
import { VOXEL_TYPES, type Volume } from '../volume.js';
import type { ImageObject, OtherObject, PixelFormat } from './dataset.js';
import { compiledOpenJpeg, runOnWorkers, warmWorkers, workersFor } from './pool.js';
import type { DecodeJob, RecycleMessage } from './protocol.js';
import { groupSeries, summarizeOthers, type ScannedSeries } from './series.js';
import { planStack } from './stack.js';
import { JPEG_2000, NATIVE_SYNTAXES } from './transfer-syntax.js';

export interface Progress {
  readonly phase: 'reading-headers' | 'decoding';
  readonly done: number;
  readonly total: number;
}
export type OnProgress = (p: Progress) => void;

export interface ScanResult {
  readonly summary: Omit<FolderScan, 'scanId'>;
  readonly series: readonly ScannedSeries[];
}

/**
 * The files under a folder. Links to files are followed (the read follows them; a chain is
 * resolved by the system, and a loop is reported); links to folders are not (a folder that
 * links to its parent would never end) and, like broken links, are listed as set aside.
 */
async function listFiles(root: string): Promise<{ files: string[]; skipped: { file: string; reason: string }[] }> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new UserFacingError('not-found', `Cannot read ${basename(root)}: folder not found.`);
    if (e.code === 'ENOTDIR') throw new UserFacingError('unreadable', `Cannot read ${basename(root)}: not a folder.`);
    throw fileError(basename(root), e);
  });
  const files: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'DICOMDIR') continue;
    const path = join(e.parentPath, e.name);
    if (e.isFile()) files.push(path);
    else if (e.isSymbolicLink()) {
      const target = await stat(path).catch((x: NodeJS.ErrnoException) => x);
      if (target instanceof Error) skipped.push({ file: relative(root, path), reason: target.code === 'ELOOP' ? 'a link in a loop of links' : 'a broken link' });
      else if (target.isFile()) files.push(path);
      else skipped.push({ file: relative(root, path), reason: target.isDirectory() ? 'a link to a folder (not followed)' : 'a link to something that is not a file' });
    } else if (!e.isDirectory()) skipped.push({ file: relative(root, path), reason: 'not a regular file (a pipe, socket or device)' });
  }
  return { files: files.sort(), skipped };
}

/**
 * Cut items into consecutive chunks, about `perWorker` per worker: the pool hands the next chunk
 * to whichever worker is free, which balances workers slowed by a busy core or a cold JIT.
 */
function chunks<T>(items: readonly T[], workers: number, perWorker = 4): T[][] {
  const size = Math.max(1, Math.min(64, Math.ceil(items.length / (perWorker * workers))));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function scanDicomFolder(root: string, onProgress: OnProgress = () => {}): Promise<ScanResult> {
  const { files, skipped } = await listFiles(root);
  const name = basename(root);
  if (files.length === 0) {
    const why = skipped.length > 0 ? ` (set aside: ${skipped.slice(0, 3).map((s) => `${s.file}, ${s.reason}`).join('; ')}${skipped.length > 3 ? '; …' : ''})` : '';
    throw new UserFacingError('unreadable', `${name} holds no files${why}.`);
  }
  return scanDicomFiles(name, files, onProgress, skipped);
}

/**
 * Files that hold no DICOM image series. Says why in a sentence, and keeps the parts (what the
 * files were instead, the first unreadable file) so a caller can word it for its own context.
 */
export class NoImageSeriesError extends UserFacingError {
  constructor(
    name: string,
    files: number,
    /** Kinds of non-image objects found (RTSTRUCT, a report, …); empty when there were none. */
    readonly nonImage: readonly string[],
    /** The first file that could not be read as DICOM, and why. */
    readonly firstUnreadable: { readonly file: string; readonly reason: string } | undefined,
  ) {
    const what = nonImage.length > 0 ? ` (only ${nonImage.join(', ')})` : '';
    const first = firstUnreadable;
    const example = first && nonImage.length === 0 ? ` ${files > 1 ? 'For example, ' : ''}${first.file}: ${first.reason}.` : '';
    super('unreadable', `${name} holds no DICOM image series that can be opened${what}.${example}`);
  }
}

/** Scan given files; `name` (a folder or file name) is used in messages; `setAside`: entries already passed over (links). */
export async function scanDicomFiles(
  name: string,
  files: readonly string[],
  onProgress: OnProgress = () => {},
  setAside: readonly { file: string; reason: string }[] = [],
): Promise<ScanResult> {
  const images: ImageObject[] = [];
  const others: OtherObject[] = [];
  const unreadable: { file: string; reason: string }[] = [...setAside];
  // Reading a header is cheap next to starting a worker: a second one only for large folders.
  const workers = workersFor(files.length, 100);
  const parts = chunks(files, workers);
  const done = parts.map(() => 0);
  await runOnWorkers(
    parts.map((p) => ({ type: 'scan', files: p })),
    (n, reply) => {
      if (reply.type === 'syntax') {
        // Compile the codec and start the decode's workers while the scan goes on.
        if (JPEG_2000.has(reply.transferSyntax)) compiledOpenJpeg().catch(() => {});
        if (!NATIVE_SYNTAXES.has(reply.transferSyntax)) warmWorkers(workersFor(files.length, COMPRESSED_SLICES_PER_WORKER));
        return false;
      }
      if (reply.type === 'progress') {
        done[n] = reply.done;
        onProgress({ phase: 'reading-headers', done: done.reduce((a, b) => a + b, 0), total: files.length });
        return false;
      }
      if (reply.type !== 'scanned') return false;
      images.push(...reply.images);
      others.push(...reply.others);
      unreadable.push(...reply.unreadable);
      done[n] = parts[n]?.length ?? 0;
      onProgress({ phase: 'reading-headers', done: done.reduce((a, b) => a + b, 0), total: files.length });
      return true;
    },
    workers,
  );
  // Chunks finish in any order; keep the scan's lists in file order.
  const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  images.sort(byPath);
  others.sort(byPath);
  const series = groupSeries(images);
  const nonImage = summarizeOthers(others);
  if (series.length === 0) throw new NoImageSeriesError(name, files.length, [...new Set(nonImage.map((o) => o.reason))], unreadable[0]);
  unreadable.sort((a, b) => a.file.localeCompare(b.file));
  return {
    summary: {
      name,
      fileCount: files.length,
      series: series.map((s) => s.summary),
      nonImage,
      unreadable: { count: unreadable.length, examples: unreadable.slice(0, 20) },
    },
    series,
  };
}

/** Slices that earn a worker (see workersFor): decoding a compressed one costs ~10× a native one. */
const COMPRESSED_SLICES_PER_WORKER = 6;
const NATIVE_SLICES_PER_WORKER = 32;
/**
 * Decode requests per worker for compressed series (see chunks; others take its default).
 * Compressed frames cost ~45 ms each, so finer chunks:
 * with four per worker, 20 slices went out in threes and one worker decoded 12 while the other
 * decoded 8. Not one frame per request: a worker then idles for each round trip to main.
 */
const COMPRESSED_CHUNKS_PER_WORKER = 8;

function storedType(f: PixelFormat): VoxelType {
  const sign = f.pixelRepresentation === 1 ? 'int' : 'uint';
  return `${sign}${f.bitsAllocated}` as VoxelType;
}

/** The output type that holds every rescaled value exactly (see the file header). */
export function outputType(f: PixelFormat, rescales: readonly { slope: number; intercept: number }[]): VoxelType {
  const first = rescales[0] ?? { slope: 1, intercept: 0 };
  const uniform = rescales.every((r) => r.slope === first.slope && r.intercept === first.intercept);
  if (!uniform || !Number.isInteger(first.slope) || !Number.isInteger(first.intercept)) return 'float32';
  const bits = Math.min(f.bitsStored, f.bitsAllocated);
  const lo = f.pixelRepresentation === 1 ? -(2 ** (bits - 1)) : 0;
  const hi = f.pixelRepresentation === 1 ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const a = lo * first.slope + first.intercept;
  const b = hi * first.slope + first.intercept;
  const [min, max] = [Math.min(a, b), Math.max(a, b)];
  for (const t of [storedType(f), 'int16', 'int32'] as const) {
    if (min >= VOXEL_TYPES[t].min && max <= VOXEL_TYPES[t].max) return t;
  }
  return 'float32';
}

export async function loadDicomSeries(series: ScannedSeries, onProgress: OnProgress = () => {}): Promise<Volume> {
  const s = series.summary;
  const label = s.seriesDescription ? `Series "${s.seriesDescription}"` : `Series ${s.seriesInstanceUID}`;
  const plan = planStack(label, series.slices);
  const first = plan.slices[0];
  if (!first) throw new UserFacingError('unreadable', `${label} has no images.`);
  const format = first.object.format;
  const rescales = plan.slices.map((x) => ({ slope: x.geometry.rescaleSlope, intercept: x.geometry.rescaleIntercept }));
  const voxelType = outputType(format, rescales);
  const sliceSize = plan.dims[0] * plan.dims[1];
  const voxels = new VOXEL_TYPES[voxelType].ctor(sliceSize * plan.dims[2]);

  // One job per file, listing the frames it contributes, their k and their rescale.
  const byFile = new Map<string, DecodeJob['frames'][number][]>();
  plan.slices.forEach((x, k) => {
    const list = byFile.get(x.object.path) ?? [];
    list.push({ frame: x.geometry.frame, k, slope: x.geometry.rescaleSlope, intercept: x.geometry.rescaleIntercept });
    byFile.set(x.object.path, list);
  });
  const jobs: DecodeJob[] = [...byFile].map(([path, frames]) => ({ path, frames }));
  let done = 0;
  const range = { min: Infinity, max: -Infinity };
  const failures: string[] = [];
  const needsOpenJpeg = plan.slices.some((x) => JPEG_2000.has(x.object.transferSyntax));
  const openJpeg = needsOpenJpeg
    ? await compiledOpenJpeg().catch((e: unknown) => {
        throw new UserFacingError('unreadable', `${label} could not be decoded: the JPEG 2000 decoder did not load (${e instanceof Error ? e.message : String(e)}).`);
      })
    : undefined;
  const compressed = plan.slices.some((x) => !NATIVE_SYNTAXES.has(x.object.transferSyntax));
  const workers = workersFor(plan.slices.length, compressed ? COMPRESSED_SLICES_PER_WORKER : NATIVE_SLICES_PER_WORKER);
  await runOnWorkers(
    chunks(jobs, workers, compressed ? COMPRESSED_CHUNKS_PER_WORKER : undefined).map((j) => ({
      type: 'decode',
      jobs: j,
      voxelType,
      ...(openJpeg ? { openJpeg } : {}),
    })),
    (_n, reply, worker) => {
      if (reply.type === 'slice') {
        // Rescaled into the volume's type by the worker, with its range: a copy here.
        voxels.set(reply.voxels, reply.k * sliceSize);
        range.min = Math.min(range.min, reply.min);
        range.max = Math.max(range.max, reply.max);
        const buffer = reply.voxels.buffer as ArrayBuffer;
        const recycle: RecycleMessage = { type: 'recycle', buffer };
        worker.postMessage(recycle, [buffer]);
        onProgress({ phase: 'decoding', done: ++done, total: plan.slices.length });
        return false;
      }
      if (reply.type === 'failed') failures.push(`${basename(reply.path)}: ${reply.message}`);
      return reply.type === 'failed' || reply.type === 'decoded';
    },
    workers,
  );
  if (failures.length > 0) throw new UserFacingError('unreadable', `${label} could not be decoded. ${failures.join('; ')}.`);
  return {
    name: s.seriesDescription || s.seriesInstanceUID,
    dims: plan.dims,
    spacing: plan.spacing,
    origin: plan.origin,
    direction: plan.direction,
    ...(s.modality ? { modality: s.modality } : {}),
    voxelType,
    voxels,
    dicom: {
      seriesInstanceUID: s.seriesInstanceUID,
      studyInstanceUID: s.studyInstanceUID,
      frameOfReferenceUID: first.object.frameOfReferenceUID,
      sopInstanceUIDs: plan.slices.map((x) => x.object.sopInstanceUID),
      sopClassUIDs: plan.slices.map((x) => x.object.sopClassUID),
      frameNumbers: plan.slices.map((x) => (x.object.frames.length > 1 ? x.geometry.frame + 1 : null)),
      patient: { name: first.object.patientName, id: first.object.patientId, birthDate: first.object.patientBirthDate, sex: first.object.patientSex },
      study: {
        date: first.object.studyDate,
        time: first.object.studyTime,
        id: first.object.studyId,
        accessionNumber: first.object.accessionNumber,
        referringPhysicianName: first.object.referringPhysicianName,
        description: first.object.studyDescription,
      },
    },
    warnings: [...s.warnings, ...plan.warnings],
    ...(range.min <= range.max ? { valueRange: range } : {}),
  };
}
