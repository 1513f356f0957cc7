/**
 * What every label exporter (NIfTI + ITK-SNAP, .seg.nrrd, DICOM SEG) is given: the source volume
 * (geometry, DICOM identity), the final label map in the volume's own voxel order, and one
 * segment description per class present, with its provenance.
 */
import type { Volume } from '../imaging/volume.js';

/** A coded concept (DICOM Code Sequence item): SNOMED CT ("SCT") or DICOM ("DCM"). */
export interface Code {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
}

/**
 * How a segment came to be, from the label session's provenance: untouched model output is
 * AUTOMATIC, model output a human corrected is SEMIAUTOMATIC, drawn from scratch is MANUAL.
 */
export type AlgorithmType = 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL';

export interface ExportSegment {
  /** The class index in the label map (1..255). */
  readonly labelValue: number;
  readonly name: string;
  /** sRGB 0..255. */
  readonly color: readonly [number, number, number];
  readonly algorithmType: AlgorithmType;
  /** "name version" of the model that proposed it; absent for MANUAL. */
  readonly algorithmName?: string;
  /** Segmented Property Category and Type (e.g. Anatomical Structure / Liver). */
  readonly category: Code;
  readonly type: Code;
  /** Qualifies the type, e.g. laterality (Kidney + Right): DICOM codes paired organs unlateralized. */
  readonly typeModifier?: Code;
}

export interface LabelExportInput {
  /** The image the labels belong to: its grid is the export's grid. */
  readonly volume: Volume;
  /** Class per voxel, `volume`'s voxel order (i fastest). */
  readonly labels: Uint8Array;
  /** The classes to write, in label-value order; classes absent from `labels` may be left out. */
  readonly segments: readonly ExportSegment[];
  /** Free text for the file's description field (series description, NIfTI descrip). */
  readonly description: string;
}

/** What an exporter wrote, after reading it back. */
export interface ExportReport {
  /** Every file written (a NIfTI export also writes its ITK-SNAP label description). */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  /** What the read-back compared, for the user ("3 segments, 1 234 567 voxels, geometry equal"). */
  readonly verified: string;
  /** What the user should know about the file (e.g. identifiers the source lacked and were made up). */
  readonly warnings?: readonly string[];
}
