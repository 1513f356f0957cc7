/**
 * Pick the reader for a path: NIfTI and NRRD by extension, a folder or any other file as DICOM.
 * A folder opens directly only when it holds exactly one image series; otherwise the message
 * says to choose one (the app shows the series picker, the CLI takes --series).
 */
import { basename } from 'node:path';
import { UserFacingError } from '../../../common/contract/result.js';
import { loadDicomSeries, NoImageSeriesError, scanDicomFiles, scanDicomFolder, type OnProgress } from './dicom/loader.js';
import { isNiftiPath, readNifti } from './nifti.js';
import { isNrrdPath, readNrrd } from './nrrd.js';
import { statInput } from '../storage/safe-read.js';
import type { Volume } from './volume.js';

export async function readVolume(path: string, onProgress?: OnProgress): Promise<Volume> {
  // Before anything reads it: a pipe, socket or device would block a reader or never end.
  const info = await statInput(path, { folders: true });
  if (info.isDirectory()) return readDicomFolder(path, onProgress);
  if (isNiftiPath(path)) return readNifti(path);
  if (isNrrdPath(path)) return readNrrd(path);
  return readDicomFile(path, onProgress);
}

async function readDicomFolder(path: string, onProgress?: OnProgress): Promise<Volume> {
  const scan = await scanDicomFolder(path, onProgress);
  const [only, ...rest] = scan.series;
  if (!only || rest.length > 0) {
    throw new UserFacingError('unreadable', `${basename(path)} holds ${scan.series.length} DICOM series; choose one of them.`);
  }
  return loadDicomSeries(only, onProgress);
}

/** A single DICOM file: one slice, or the frames of a multi-frame file. */
async function readDicomFile(path: string, onProgress?: OnProgress): Promise<Volume> {
  const name = basename(path);
  const scan = await scanDicomFiles(name, [path], onProgress).catch((e: unknown) => {
    if (!(e instanceof NoImageSeriesError)) throw e;
    // One file, so one reason: say it for a file the user opened, not for a folder scan.
    const why = e.nonImage.length > 0 ? `${e.nonImage.join(', ')}, not an image volume` : (e.firstUnreadable?.reason ?? 'unreadable');
    throw new UserFacingError(
      'unreadable',
      why.startsWith('not a DICOM file')
        ? `${name}: unsupported file type; open a NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) or DICOM file or folder.`
        : `${name}: ${why}.`,
    );
  });
  const [series] = scan.series;
  if (!series) throw new UserFacingError('unreadable', `${name} holds no image.`);
  return loadDicomSeries(series, onProgress);
}
