/** Pick the reader for a path. Formats arrive here one issue at a time (DICOM, NRRD next). */
import { basename } from 'node:path';
import { UserFacingError } from '../../contract/result.js';
import { isNiftiPath, readNifti } from './nifti.js';
import type { Volume } from './volume.js';

export async function readVolume(path: string): Promise<Volume> {
  if (isNiftiPath(path)) return readNifti(path);
  throw new UserFacingError('unreadable', `${basename(path)}: unsupported file type; open a NIfTI file (.nii or .nii.gz).`);
}
