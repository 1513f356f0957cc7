/**
 * The error a DICOM file is refused with; its message is shown to the user after the file name.
 * Kept apart from dataset.ts so the decode path never loads dcmjs just to name an error.
 */
export class DicomFileError extends Error {}
