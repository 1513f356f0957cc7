/**
 * One DICOM Part 10 file into the header fields the volume reader needs, parsed with dcmjs.
 * A file is either an `ImageObject` (greyscale pixels with per-frame geometry) or an
 * `OtherObject` (SR, RTSTRUCT, SEG, presentation states, colour images…): listed, never loaded.
 *
 * Invariant: every frame of an image object carries its own position, orientation and rescale,
 * whether the file is single-frame, enhanced multi-frame (functional groups) or RTDOSE
 * (GridFrameOffsetVector), so grouping and sorting never need to know which it was.
 *
 * Rejected (thrown as `DicomFileError` with a user-facing reason): files without the "DICM"
 * preamble and files dcmjs cannot parse. Blank UIDs (anonymised data) are kept blank; the SOP
 * Class and Instance UIDs then fall back to the file meta's Media Storage copies.
 */
// e2e/tsconfig.json compiles these sources through imports and would not see the declarations.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./vendor.d.ts" />
import dcmjs, { type DcmjsDataset, type DcmjsElement } from 'dcmjs';
import { formatBytes } from '../../storage/safe-read.js';
import type { Vec3 } from '../volume.js';
import { normal, type Orientation } from './orientation.js';
import { NATIVE_SYNTAXES } from './transfer-syntax.js';

/** Deflated Explicit VR Little Endian: native pixels, but the file is compressed as a whole. */
const DEFLATED = '1.2.840.10008.1.2.1.99';

dcmjs.log.setLevel('error');
// dcmjs reports odd VRs in real files ("Invalid vr type") on its own logger; we judge files by
// what we need from them, so these lines would only be noise on the user's terminal.
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');


export interface FrameGeometry {
  /** Frame index inside its file (0 for single-frame files). */
  readonly frame: number;
  /** LPS position of the centre of the first transmitted pixel; null when the file gives none. */
  readonly position: Vec3 | null;
  readonly orientation: Orientation | null;
  readonly rescaleSlope: number;
  readonly rescaleIntercept: number;
}

/** The pixel module: how stored values are laid out. */
export interface PixelFormat {
  readonly rows: number;
  readonly columns: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly pixelRepresentation: 0 | 1;
  readonly samplesPerPixel: number;
  readonly photometric: string;
  readonly planarConfiguration: number;
}

export interface SeriesFields {
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly modality: string;
  readonly patientName: string;
  readonly patientId: string;
  readonly studyDate: string;
  readonly studyDescription: string;
  readonly seriesDescription: string;
  readonly seriesNumber: number | null;
}

/**
 * Patient and General Study attributes that a derived object (a DICOM SEG) copies from its
 * source verbatim, beyond those in `SeriesFields`. Empty strings when the file leaves them empty.
 */
export interface CopiedFields {
  readonly patientBirthDate: string;
  readonly patientSex: string;
  readonly studyTime: string;
  readonly studyId: string;
  readonly accessionNumber: string;
  readonly referringPhysicianName: string;
}

export interface ImageObject extends SeriesFields, CopiedFields {
  readonly kind: 'image';
  readonly path: string;
  readonly transferSyntax: string;
  /** From the dataset, or the file meta's Media Storage SOP Class UID when that is blank. */
  readonly sopClassUID: string;
  readonly sopInstanceUID: string;
  readonly frameOfReferenceUID: string;
  readonly format: PixelFormat;
  /** [row spacing, column spacing] in mm, i.e. spacing along j then i; null when absent. */
  readonly pixelSpacing: readonly [number, number] | null;
  readonly sliceThickness: number | null;
  readonly acquisitionNumber: number | null;
  readonly echoNumber: number | null;
  readonly gantryTilt: number;
  /** The first VOI window the file suggests (in rescaled units), for previews; null when none. */
  readonly voiWindow: { readonly center: number; readonly width: number } | null;
  readonly frames: readonly FrameGeometry[];
}

export interface OtherObject extends SeriesFields {
  readonly kind: 'other';
  readonly path: string;
  /** Why it is not loadable as a volume, for the series list. */
  readonly reason: string;
}

export type DicomObject = ImageObject | OtherObject;

export class DicomFileError extends Error {}

/** SOP classes that carry pixel data but are not images of the patient we can stack. */
const NON_VOLUME_CLASSES: Readonly<Record<string, string>> = {
  '1.2.840.10008.5.1.4.1.1.66.4': 'segmentation (SEG)',
  '1.2.840.10008.5.1.4.1.1.104.1': 'encapsulated PDF',
};

const NON_IMAGE_MODALITIES: Readonly<Record<string, string>> = {
  SR: 'structured report (SR)',
  RTSTRUCT: 'RT structure set (RTSTRUCT)',
  RTPLAN: 'RT plan (RTPLAN)',
  PR: 'presentation state (PR)',
  KO: 'key object selection (KO)',
  SEG: 'segmentation (SEG)',
  REG: 'registration (REG)',
  ECG: 'waveform (ECG)',
  DOC: 'document (DOC)',
};

const el = (ds: DcmjsDataset | undefined, tag: string): DcmjsElement | undefined => ds?.[tag];
const values = (ds: DcmjsDataset | undefined, tag: string): readonly unknown[] => el(ds, tag)?.Value ?? [];

function str(ds: DcmjsDataset | undefined, tag: string): string {
  const v = values(ds, tag)[0];
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  // Person names come as { Alphabetic: "…" }.
  if (v && typeof v === 'object' && 'Alphabetic' in v) {
    const name = (v).Alphabetic;
    return typeof name === 'string' ? name.trim() : '';
  }
  return '';
}

function num(ds: DcmjsDataset | undefined, tag: string): number | null {
  const v = values(ds, tag)[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function nums(ds: DcmjsDataset | undefined, tag: string): number[] {
  return values(ds, tag).map((v) => (typeof v === 'number' ? v : Number(v)));
}

function item(ds: DcmjsDataset | undefined, tag: string, index = 0): DcmjsDataset | undefined {
  const v = values(ds, tag)[index];
  return v && typeof v === 'object' ? (v as DcmjsDataset) : undefined;
}

/** Attribute names for the sentences below. */
const NAMES: Readonly<Record<string, string>> = {
  '00200032': 'Image Position (Patient)',
  '00200037': 'Image Orientation (Patient)',
  '00281053': 'Rescale Slope',
  '00281052': 'Rescale Intercept',
  '3004000E': 'Dose Grid Scaling',
};

/**
 * The first `n` values of an attribute as numbers; null when it is absent. Present but not
 * numbers ("NaN", blanks, too few) is a broken file, said as such, never read as "absent".
 */
function finite(ds: DcmjsDataset | undefined, tag: string, n: number): number[] | null {
  const raw = values(ds, tag);
  if (raw.length === 0) return null;
  const xs = raw.map((v) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN));
  if (xs.length < n || !xs.slice(0, n).every(Number.isFinite)) {
    throw new DicomFileError(`its ${NAMES[tag] ?? tag} is "${raw.map(String).join('\\')}", not ${n === 1 ? 'a number' : `${n} numbers`}`);
  }
  return xs.slice(0, n);
}

function vec3(ds: DcmjsDataset | undefined, tag: string): Vec3 | null {
  const a = finite(ds, tag, 3);
  return a && [a[0]!, a[1]!, a[2]!];
}

/** Two direction cosines, each a unit vector, at right angles; anything else has no plane. */
function orientation(ds: DcmjsDataset | undefined): Orientation | null {
  const a = finite(ds, '00200037', 6);
  if (!a) return null;
  const [rx, ry, rz, cx, cy, cz] = a as [number, number, number, number, number, number];
  const unit = (x: number, y: number, z: number): boolean => Math.abs(Math.hypot(x, y, z) - 1) < 0.01;
  if (!unit(rx, ry, rz) || !unit(cx, cy, cz) || Math.abs(rx * cx + ry * cy + rz * cz) > 0.01) {
    throw new DicomFileError(`its Image Orientation (Patient) (${a.join(', ')}) is not two perpendicular unit vectors, so its slices have no plane`);
  }
  return a as unknown as Orientation;
}

/** A frame's rescale value: absent gives `fallback`; present but not a number is refused. */
const rescale = (ds: DcmjsDataset | undefined, tag: string, fallback: number): number => finite(ds, tag, 1)?.[0] ?? fallback;

/** The largest frame side we open: CT and MR images are at most a few thousand pixels a side. */
const MAX_SIDE = 16384;

/** Parse a whole file. `headerOnly` stops before the pixel data (scanning). */
export function parseDicom(path: string, bytes: Uint8Array, headerOnly: boolean): { object: DicomObject; dataset: DcmjsDataset } {
  if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM') {
    throw new DicomFileError('not a DICOM file (no "DICM" marker at byte 128)');
  }
  let parsed;
  try {
    // A file read on its own owns its whole buffer: parse it in place (a copy per file is
    // garbage that the worker's heap holds until V8 counts 64 MB of it).
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const buffer = (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer;
    parsed = dcmjs.data.DicomMessage.readFile(buffer, headerOnly ? { untilTag: '7FE00010', noCopy: true } : { noCopy: true });
  } catch (e) {
    throw new DicomFileError(`the DICOM data is corrupt or truncated (${e instanceof Error ? e.message : String(e)})`);
  }
  const ds = parsed.dict;
  const transferSyntax = str(parsed.meta, '00020010');
  const fields: SeriesFields = {
    studyInstanceUID: str(ds, '0020000D'),
    seriesInstanceUID: str(ds, '0020000E'),
    modality: str(ds, '00080060'),
    patientName: str(ds, '00100010'),
    patientId: str(ds, '00100020'),
    studyDate: str(ds, '00080020'),
    studyDescription: str(ds, '00081030'),
    seriesDescription: str(ds, '0008103E'),
    seriesNumber: num(ds, '00200011'),
  };
  const other = (reason: string): { object: DicomObject; dataset: DcmjsDataset } => ({
    object: { kind: 'other', path, reason, ...fields },
    dataset: ds,
  });

  // Anonymisers sometimes blank the dataset's UIDs; the file meta keeps a copy.
  const sopClass = str(ds, '00080016') || str(parsed.meta, '00020002');
  const nonVolume = NON_VOLUME_CLASSES[sopClass] ?? NON_IMAGE_MODALITIES[fields.modality];
  if (nonVolume) return other(nonVolume);
  const rows = num(ds, '00280010');
  const columns = num(ds, '00280011');
  const hasPixels = el(ds, '7FE00010') !== undefined || headerOnly;
  if (!rows || !columns || !hasPixels) return other(`no image (${fields.modality || 'unknown modality'})`);

  const samplesPerPixel = num(ds, '00280002') ?? 1;
  const photometric = str(ds, '00280004') || 'MONOCHROME2';
  if (samplesPerPixel !== 1) return other(`colour image (${photometric}); only greyscale images can be opened as a volume`);
  const bitsAllocated = num(ds, '00280100') ?? 16;
  const format: PixelFormat = {
    rows,
    columns,
    bitsAllocated,
    bitsStored: num(ds, '00280101') ?? bitsAllocated,
    pixelRepresentation: num(ds, '00280103') === 1 ? 1 : 0,
    samplesPerPixel,
    photometric,
    planarConfiguration: num(ds, '00280006') ?? 0,
  };
  if (![8, 16, 32].includes(bitsAllocated)) {
    return other(`${bitsAllocated}-bit pixels (only 8, 16 and 32 bits per pixel can be opened)`);
  }
  checkFrames(ds, format, transferSyntax, bytes.length);

  const shared = item(ds, '52009229');
  const spacingFrom = (d: DcmjsDataset | undefined): [number, number] | null => {
    const ps = nums(item(d, '00289110'), '00280030');
    return ps.length >= 2 && ps[0]! > 0 && ps[1]! > 0 ? [ps[0]!, ps[1]!] : null;
  };
  const topSpacing = nums(ds, '00280030');
  const pixelSpacing =
    spacingFrom(shared) ??
    spacingFrom(item(ds, '52009230')) ??
    (topSpacing.length >= 2 && topSpacing[0]! > 0 && topSpacing[1]! > 0 ? ([topSpacing[0]!, topSpacing[1]!] as [number, number]) : null);

  return {
    object: {
      kind: 'image',
      path,
      transferSyntax,
      sopClassUID: sopClass,
      sopInstanceUID: str(ds, '00080018') || str(parsed.meta, '00020003'),
      patientBirthDate: str(ds, '00100030'),
      patientSex: str(ds, '00100040'),
      studyTime: str(ds, '00080030'),
      studyId: str(ds, '00200010'),
      accessionNumber: str(ds, '00080050'),
      referringPhysicianName: str(ds, '00080090'),
      frameOfReferenceUID: str(ds, '00200052'),
      format,
      pixelSpacing,
      sliceThickness: num(ds, '00180050') ?? num(item(shared, '00289110'), '00180050'),
      acquisitionNumber: num(ds, '00200012'),
      echoNumber: num(ds, '00180086'),
      gantryTilt: num(ds, '00181120') ?? 0,
      voiWindow: voiWindow(ds) ?? voiWindow(item(shared, '00289132')) ?? voiWindow(item(item(ds, '52009230'), '00289132')),
      frames: frameGeometry(ds, shared),
      ...fields,
    },
    dataset: ds,
  };
}

/** Window Center/Width (the first pair of a multi-valued one); null when absent or unusable. */
function voiWindow(ds: DcmjsDataset | undefined): { center: number; width: number } | null {
  const center = num(ds, '00281050');
  const width = num(ds, '00281051');
  return center !== null && width !== null && width > 0 ? { center, width } : null;
}

/**
 * The declared image size against what the file can hold, before anything is allocated for it:
 * a few-kilobyte file that claims a million frames, or a frame of 40 000 × 40 000 pixels, is
 * refused with its figures instead of filling memory.
 */
function checkFrames(ds: DcmjsDataset, f: PixelFormat, transferSyntax: string, fileBytes: number): void {
  if (f.rows > MAX_SIDE || f.columns > MAX_SIDE) {
    throw new DicomFileError(`its images are ${f.columns} × ${f.rows} pixels, larger than a CT or MR image can be (at most ${MAX_SIDE} a side)`);
  }
  const frames = finite(ds, '00280008', 1)?.[0] ?? 1;
  if (!Number.isInteger(frames) || frames < 1) throw new DicomFileError(`its Number of Frames is ${frames}, not a whole number of at least 1`);
  const frameBytes = (f.rows * f.columns * f.bitsAllocated) / 8;
  // Uncompressed pixels take their full size in the file; a compressed frame at least its item header.
  const uncompressed = NATIVE_SYNTAXES.has(transferSyntax) && transferSyntax !== DEFLATED;
  const least = uncompressed ? frames * frameBytes : frames * 8;
  if (least > fileBytes) {
    throw new DicomFileError(
      `it declares ${frames} frame${frames === 1 ? '' : 's'} of ${f.columns} × ${f.rows} pixels (${formatBytes(frames * frameBytes)}) but the file is only ${formatBytes(fileBytes)}`,
    );
  }
}

/** Position, orientation and rescale of every frame, from whichever module the file uses. */
function frameGeometry(ds: DcmjsDataset, shared: DcmjsDataset | undefined): FrameGeometry[] {
  const count = Math.max(1, num(ds, '00280008') ?? 1);
  const topSlope = rescale(ds, '00281053', rescale(ds, '3004000E', 1)); // RTDOSE: DoseGridScaling
  const topIntercept = rescale(ds, '00281052', 0);
  const topPosition = vec3(ds, '00200032');
  const topOrientation = orientation(ds);
  const sharedOrientation = orientation(item(shared, '00209116'));
  const sharedTransform = item(shared, '00289145');
  const offsets = nums(ds, '3004000C');
  const frames: FrameGeometry[] = [];
  for (let f = 0; f < count; f++) {
    const own = item(ds, '52009230', f);
    const transform = item(own, '00289145') ?? sharedTransform;
    const orient = orientation(item(own, '00209116')) ?? sharedOrientation ?? topOrientation;
    let position = vec3(item(own, '00209113'), '00200032');
    if (!position && topPosition && count > 1 && offsets.length === count && orient) {
      // RTDOSE: frames sit at GridFrameOffsetVector along the slice normal from the top position.
      const n = normal(orient);
      const o = offsets[f] as number;
      position = [topPosition[0] + n[0] * o, topPosition[1] + n[1] * o, topPosition[2] + n[2] * o];
    }
    if (!position && count === 1) position = topPosition;
    frames.push({
      frame: f,
      position,
      orientation: orient,
      rescaleSlope: rescale(transform, '00281053', topSlope),
      rescaleIntercept: rescale(transform, '00281052', topIntercept),
    });
  }
  return frames;
}


/** The pixel data element's fragments (encapsulated) or its single value (native). */
export function pixelDataValues(ds: DcmjsDataset): readonly Uint8Array[] {
  const v = values(ds, '7FE00010');
  return v.map((x) => (x instanceof Uint8Array ? x : new Uint8Array(x as ArrayBuffer)));
}
