/**
 * How a batch `hsam segment <folder> --out <dir>` names each study's labels, in one place: the CLI
 * writes by it and the worklist finds the labels by it.
 */
import { relative } from 'node:path';

/** The volume files a folder of studies may hold. */
export const VOLUME_FILE = /\.(nii|nii\.gz|nrrd|nhdr)$/i;

const stem = (name: string): string => name.replace(VOLUME_FILE, '').replace(/[^\w.-]+/g, '_');

/** The labels' file name for a volume file of the folder (its path below the folder, flattened). */
export const volumeOutputName = (folder: string, volumePath: string): string => `${stem(relative(folder, volumePath))}.labels.nii.gz`;

/** The labels' file name for a DICOM series: its UID, or its local id when an anonymiser blanked the UID. */
export const seriesOutputName = (series: { readonly seriesInstanceUID: string; readonly seriesId: string }): string =>
  `${stem(series.seriesInstanceUID || series.seriesId)}.labels.nii.gz`;
