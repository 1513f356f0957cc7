/**
 * What a folder scan reports: the DICOM series a user can open (for the series picker), the
 * objects that are not volumes, and the files that are not DICOM at all. Shared by main, the
 * renderer, the CLI (`hsam info <folder>`) and tests.
 *
 * Invariant: a `seriesId` names exactly one volume; it is the Series Instance UID, with a
 * `#n.m` suffix when one DICOM series had to be split (size, orientation, echo, acquisition).
 */
import { z } from 'zod';

export const DicomSeriesSummary = z.object({
  /** Pass to `dicom.openSeries`; unique within one scan. */
  seriesId: z.string(),
  seriesInstanceUID: z.string(),
  studyInstanceUID: z.string(),
  patientName: z.string(),
  patientId: z.string(),
  /** DICOM DA, YYYYMMDD, as the file says; empty when absent. */
  studyDate: z.string(),
  studyDescription: z.string(),
  /** SeriesDescription, plus the distinguishing size/echo/acquisition when the series was split. */
  seriesDescription: z.string(),
  seriesNumber: z.number().nullable(),
  modality: z.string(),
  /** 2-D images (frames) in the series: the k extent of the volume if it opens cleanly. */
  sliceCount: z.number().int(),
  fileCount: z.number().int(),
  rows: z.number().int(),
  columns: z.number().int(),
  plane: z.enum(['axial', 'coronal', 'sagittal', 'oblique', 'unknown']),
  /** Human-readable transfer syntax names present in the series. */
  transferSyntaxes: z.array(z.string()),
  /** Found while scanning (for example: the series was split); shown next to the entry. */
  warnings: z.array(z.string()),
});
export type DicomSeriesSummary = z.infer<typeof DicomSeriesSummary>;

export const NonImageSummary = z.object({
  seriesInstanceUID: z.string(),
  modality: z.string(),
  seriesDescription: z.string(),
  /** Why it cannot be opened as a volume, e.g. "structured report (SR)". */
  reason: z.string(),
  fileCount: z.number().int(),
});
export type NonImageSummary = z.infer<typeof NonImageSummary>;

export const FolderScan = z.object({
  /** Pass to `dicom.openSeries` with a `seriesId`; valid for this session. */
  scanId: z.string(),
  /** Folder name for display. */
  name: z.string(),
  /** Regular files looked at, DICOM or not. */
  fileCount: z.number().int(),
  series: z.array(DicomSeriesSummary),
  nonImage: z.array(NonImageSummary),
  /** Files that are not readable DICOM: how many, and the first few with the reason. */
  unreadable: z.object({
    count: z.number().int(),
    examples: z.array(z.object({ file: z.string(), reason: z.string() })),
  }),
});
export type FolderScan = z.infer<typeof FolderScan>;

/** Longest side of a series preview, in pixels. */
export const THUMBNAIL_SIZE = 64;

/**
 * A series preview for the picker: its middle image, box-averaged to at most THUMBNAIL_SIZE on
 * the longer side in the image's physical aspect, windowed to 8-bit grey (the file's own window
 * when it names one, else the image's 1st–99th percentiles), MONOCHROME1 inverted.
 */
export interface SeriesThumbnail {
  readonly width: number;
  readonly height: number;
  /** Grey levels, row by row from the image's first row, `width × height` bytes. */
  readonly pixels: Uint8Array;
  /** Where the grey levels come from, for the tooltip. */
  readonly window: 'file' | 'percentiles';
}
