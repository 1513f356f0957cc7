/**
 * One DICOM file into the header fields the volume reader needs. A file is either an
 * `ImageObject` (greyscale pixels with per-frame geometry) or an `OtherObject` (SR, RTSTRUCT,
 * SEG, presentation states, colour images…): listed, never loaded.
 *
 * Why not dcmjs: a scan reads every header of a folder, and dcmjs builds an object per element
 * (and its dictionary per thread): on the shared CT series it cost 25 ms a file while its JIT
 * warmed up and 2.5 ms after, against well under 1 ms here. This reader decodes only the
 * elements below, from views into the file (elements.ts walks the rest by their lengths), and
 * stops at the Pixel Data element.
 *
 * Invariant: every frame of an image object carries its own position, orientation and rescale,
 * whether the file is single-frame, enhanced multi-frame (functional groups) or RTDOSE
 * (GridFrameOffsetVector), so grouping and sorting never need to know which it was. Text is
 * decoded in the file's Specific Character Set (its first value; unknown ones as Latin-1).
 *
 * Read as well as Part 10 files: a File Meta group at byte 0, and raw datasets without preamble
 * or meta (see elements.ts for how their transfer syntax is guessed).
 *
 * Rejected (thrown as `DicomFileError` with a user-facing reason): files that are none of these
 * ('not a DICOM file …'), raw datasets with compressed pixel data (without a file meta nothing
 * says which codec), and headers that are cut or malformed. Blank UIDs (anonymised data) are
 * kept blank; the SOP Class and Instance UIDs then fall back to the file meta's Media Storage
 * copies.
 */
import { TextDecoder } from 'node:util';
import type { Vec3 } from '../volume.js';
import { datasetReader, EXPLICIT_BE, guessSyntax, layoutOf, NOT_DICOM, Reader, skipUndefined, truncated, UNDEFINED } from './elements.js';
import { DicomFileError } from './errors.js';
import { normal, type Orientation } from './orientation.js';

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
  /** The first VOI window the file suggests (rescaled units), for thumbnails; null when none. */
  readonly window: { readonly center: number; readonly width: number } | null;
  readonly frames: readonly FrameGeometry[];
}

export interface OtherObject extends SeriesFields {
  readonly kind: 'other';
  readonly path: string;
  /** Why it is not loadable as a volume, for the series list. */
  readonly reason: string;
}

export type DicomObject = ImageObject | OtherObject;

export { DicomFileError };

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

/** One decoded element: its VR (from the file, or the dictionary below in implicit VR). */
interface Element {
  readonly vr: string;
  readonly value: Uint8Array;
  /** Items, for the sequences in SEQUENCES. */
  readonly items?: readonly Dataset[];
}
interface Dataset {
  readonly elements: ReadonlyMap<number, Element>;
  readonly reader: Reader;
  /** Shared by a file's datasets: set once its Specific Character Set is known. */
  readonly charset: { decoder: TextDecoder };
}

const tagOf = (hex: string): number => Number.parseInt(hex, 16);
/** Sequences whose items hold what we read (functional groups and their macros). */
const SEQUENCES = new Set(['52009229', '52009230', '00209113', '00209116', '00289110', '00289145', '00289132'].map(tagOf));
/** Binary elements we read; every other one we read is text (UI, CS, DS, IS, LO, PN…). */
const BINARY_VRS = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD']);
const US_TAGS = new Set(['00280002', '00280006', '00280010', '00280011', '00280100', '00280101', '00280103'].map(tagOf));
const PIXEL_DATA = tagOf('7FE00010');
/** Person names we read, for implicit VR (no PN to say so). */
const PERSON_NAMES = new Set(['00100010', '00080090'].map(tagOf));

/** Specific Character Set → TextDecoder label (PS3.3 C.12.1.1.2); others decode as Latin-1. */
const CHARSETS: Readonly<Record<string, string>> = {
  'ISO_IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
  'ISO 2022 IR 87': 'iso-2022-jp',
  'ISO 2022 IR 149': 'euc-kr',
};
const LATIN1 = new TextDecoder('latin1');
// eslint-disable-next-line no-control-regex -- ESC (0x1B) starts every ISO 2022 escape sequence
const ISO_2022_ESCAPE = /\x1b[\x20-\x2f]+[\x30-\x7e]/g;
const decoders = new Map<string, TextDecoder>();
/**
 * The decoder for a Specific Character Set's values: its first one, except with code extensions
 * (PS3.5 6.1.2.5), where the extension decides: JIS X 0208 by its escape sequences (half-width
 * katakana names, IR 13 first, as Shift JIS), KS X 1001 as EUC-KR (its escape sequences are
 * dropped in `texts`).
 */
function decoderFor(values: readonly string[]): TextDecoder {
  const charset =
    values[0] === 'ISO 2022 IR 13'
      ? 'ISO_IR 13'
      : values.includes('ISO 2022 IR 87')
        ? 'ISO 2022 IR 87'
        : values.includes('ISO 2022 IR 149')
          ? 'ISO 2022 IR 149'
          : (values[0] ?? '');
  const label = CHARSETS[charset];
  if (!label) return LATIN1;
  let d = decoders.get(label);
  if (!d) {
    try {
      d = new TextDecoder(label);
    } catch {
      d = LATIN1; // a Node without that encoding: names may show odd characters, nothing worse
    }
    decoders.set(label, d);
  }
  return d;
}

/**
 * The elements from `at` up to `end`, an item delimiter, or (top level) the Pixel Data element.
 * Items are parsed only for SEQUENCES; other sequences are skipped by length.
 */
function readElements(r: Reader, at: number, end: number, charset: Dataset['charset'], top: boolean, whole = true): { ds: Dataset; next: number } {
  const elements = new Map<number, Element>();
  const ds: Dataset = { elements, reader: r, charset };
  while (at < end) {
    const h = r.header(at);
    if (!h) {
      if (top && whole && at >= r.bytes.length) break; // a dataset without pixel data ends with the file
      throw truncated();
    }
    if (h.group === 0xfffe && h.element === 0xe00d) return { ds, next: h.value };
    const tag = ((h.group << 16) | h.element) >>> 0;
    if (top && tag === PIXEL_DATA) break;
    if (SEQUENCES.has(tag)) {
      const items: Dataset[] = [];
      const seqEnd = h.length === UNDEFINED ? Infinity : h.value + h.length;
      let pos = h.value;
      for (;;) {
        if (pos >= seqEnd) break;
        const item = r.header(pos);
        if (!item) throw truncated();
        if (item.group === 0xfffe && item.element === 0xe0dd) {
          pos = item.value;
          break;
        }
        if (item.group !== 0xfffe || item.element !== 0xe000) throw new DicomFileError('a sequence in the header is malformed');
        const itemEnd = item.length === UNDEFINED ? Infinity : item.value + item.length;
        const read = readElements(r, item.value, itemEnd, charset, false);
        items.push(read.ds);
        pos = item.length === UNDEFINED ? read.next : itemEnd;
      }
      elements.set(tag, { vr: 'SQ', value: new Uint8Array(0), items });
      at = pos;
    } else if (h.length === UNDEFINED) {
      at = skipUndefined(r.forValue(h.vr), h.value);
    } else {
      if (h.value + h.length > r.bytes.length) throw truncated();
      elements.set(tag, { vr: h.vr, value: r.bytes.subarray(h.value, h.value + h.length) });
      at = h.value + h.length;
    }
  }
  return { ds, next: at };
}

const el = (ds: Dataset | undefined, tag: string): Element | undefined => ds?.elements.get(tagOf(tag));

/** Text values split at backslashes, trimmed of padding (spaces, NULs). */
function texts(ds: Dataset | undefined, tag: string): string[] {
  const e = el(ds, tag);
  if (!e || e.value.length === 0) return [];
  // ISO 2022 escape sequences only switch character sets; none is text.
  const decoded = (ds?.charset.decoder ?? LATIN1).decode(e.value).replace(ISO_2022_ESCAPE, '');
  return decoded.split('\\').map((v: string) => v.replace(/^[\s\0]+|[\s\0]+$/g, ''));
}

/** Binary numbers of an element whose VR (or dictionary VR) is binary; null otherwise. */
function binary(ds: Dataset | undefined, tag: string): number[] | null {
  const e = el(ds, tag);
  if (!e || !ds) return null;
  const vr = BINARY_VRS.has(e.vr) ? e.vr : (e.vr === '' || e.vr === 'UN') && US_TAGS.has(tagOf(tag)) ? 'US' : null;
  if (!vr) return null;
  const little = ds.reader.little;
  const view = new DataView(e.value.buffer, e.value.byteOffset, e.value.byteLength);
  const size = vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' ? 8 : 4;
  const out: number[] = [];
  for (let i = 0; i + size <= e.value.length; i += size) {
    out.push(
      vr === 'US'
        ? view.getUint16(i, little)
        : vr === 'SS'
          ? view.getInt16(i, little)
          : vr === 'UL'
            ? view.getUint32(i, little)
            : vr === 'SL'
              ? view.getInt32(i, little)
              : vr === 'FL'
                ? view.getFloat32(i, little)
                : view.getFloat64(i, little),
    );
  }
  return out;
}

function str(ds: Dataset | undefined, tag: string): string {
  const b = binary(ds, tag);
  if (b) return b[0] === undefined ? '' : String(b[0]);
  const v = texts(ds, tag)[0] ?? '';
  // A person name's first component group is its alphabetic one (PS3.5 6.2.1).
  return el(ds, tag)?.vr === 'PN' || PERSON_NAMES.has(tagOf(tag)) ? (v.split('=')[0] ?? '').trim() : v;
}

function num(ds: Dataset | undefined, tag: string): number | null {
  const n = nums(ds, tag)[0];
  return n !== undefined && Number.isFinite(n) ? n : null;
}

function nums(ds: Dataset | undefined, tag: string): number[] {
  return binary(ds, tag) ?? texts(ds, tag).map((v) => (v === '' ? NaN : Number(v)));
}

function item(ds: Dataset | undefined, tag: string, index = 0): Dataset | undefined {
  return el(ds, tag)?.items?.[index];
}

function vec3(a: number[]): Vec3 | null {
  return a.length >= 3 && a.slice(0, 3).every(Number.isFinite) ? [a[0] as number, a[1] as number, a[2] as number] : null;
}

function orientation(a: number[]): Orientation | null {
  if (a.length < 6 || !a.slice(0, 6).every(Number.isFinite)) return null;
  return a.slice(0, 6) as unknown as Orientation;
}

/** Whether a raw dataset (no meta) holds PixelData of undefined length: encapsulated fragments. */
function hasEncapsulatedPixelData(bytes: Uint8Array, syntax: string): boolean {
  const tag = syntax === EXPLICIT_BE ? [0x7f, 0xe0, 0x00, 0x10] : [0xe0, 0x7f, 0x10, 0x00];
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const undefinedLength = [0xff, 0xff, 0xff, 0xff];
  const patterns =
    syntax === '1.2.840.10008.1.2'
      ? [[...tag, ...undefinedLength]]
      : [0x42, 0x57].map((second) => [...tag, 0x4f, second, 0, 0, ...undefinedLength]); // OB, OW
  return patterns.some((p) => head.indexOf(Buffer.from(p)) >= 0);
}

/**
 * Parse a file's header, up to its Pixel Data element. `bytes` may be reused after it returns;
 * `whole` false means they are only the file's start, so running out of them is an error (the
 * caller then reads the whole file), never the end of the dataset.
 */
export function parseDicom(path: string, bytes: Uint8Array, whole = true): { object: DicomObject } {
  const layout = layoutOf(bytes);
  const rawSyntax = layout.rawSyntax;
  if (rawSyntax && hasEncapsulatedPixelData(bytes, rawSyntax)) {
    throw new DicomFileError('the pixel data is compressed but the file has no file meta header to say how (its transfer syntax is unknown)');
  }
  let meta: Dataset | undefined;
  let ds: Dataset;
  let transferSyntax: string;
  try {
    if (layout.meta !== null) {
      meta = readElements(new Reader(bytes, true, false), layout.meta, layout.dataset, { decoder: LATIN1 }, false).ds;
    }
    // A meta without Transfer Syntax UID: guessed from the dataset, as pydicom does.
    const guessed = rawSyntax ?? str(meta, '00020010');
    transferSyntax = guessed || (guessSyntax(bytes, layout.dataset, true) ?? '');
    if (!transferSyntax) throw new DicomFileError('the file meta names no transfer syntax');
    const { reader, start } = datasetReader(bytes, layout, transferSyntax);
    // Values are decoded when read, so the character set can be set after the walk.
    const charset = { decoder: LATIN1 };
    ds = readElements(reader, start, Infinity, charset, true, whole).ds;
    charset.decoder = decoderFor(texts(ds, '00080005'));
  } catch (e) {
    // Only the start of the file: the caller reads the rest and asks again.
    if (!whole) throw e;
    // A raw guess that does not parse was not DICOM after all.
    if (rawSyntax) throw new DicomFileError(NOT_DICOM);
    if (e instanceof DicomFileError && !(e.message === truncated().message)) throw e;
    throw new DicomFileError(`the DICOM data is corrupt or truncated (${e instanceof Error ? e.message : String(e)})`);
  }
  // A raw guess must name what it is (SOP Class UID is type 1 in every composite object).
  if (rawSyntax && !str(ds, '00080016') && !str(ds, '00080060')) throw new DicomFileError(NOT_DICOM);
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
  const other = (reason: string): { object: DicomObject } => ({ object: { kind: 'other', path, reason, ...fields } });

  // Anonymisers sometimes blank the dataset's UIDs; the file meta keeps a copy.
  const sopClass = str(ds, '00080016') || str(meta, '00020002');
  const nonVolume = NON_VOLUME_CLASSES[sopClass] ?? NON_IMAGE_MODALITIES[fields.modality];
  if (nonVolume) return other(nonVolume);
  const rows = num(ds, '00280010');
  const columns = num(ds, '00280011');
  // Whether the Pixel Data is really there is the decode's to tell (a cut file says so there).
  if (!rows || !columns) return other(`no image (${fields.modality || 'unknown modality'})`);

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

  const shared = item(ds, '52009229');
  const spacingFrom = (d: Dataset | undefined): [number, number] | null => {
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
      sopInstanceUID: str(ds, '00080018') || str(meta, '00020003'),
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
      window: voiWindow(ds) ?? voiWindow(item(shared, '00289132')) ?? voiWindow(item(item(ds, '52009230'), '00289132')),
      frames: frameGeometry(ds, shared),
      ...fields,
    },
  };
}

function voiWindow(ds: Dataset | undefined): ImageObject['window'] {
  const center = num(ds, '00281050');
  const width = num(ds, '00281051');
  return center !== null && width !== null && width >= 1 ? { center, width } : null;
}

/** Position, orientation and rescale of every frame, from whichever module the file uses. */
function frameGeometry(ds: Dataset, shared: Dataset | undefined): FrameGeometry[] {
  const count = Math.max(1, num(ds, '00280008') ?? 1);
  const topSlope = num(ds, '00281053') ?? num(ds, '3004000E') ?? 1; // RTDOSE: DoseGridScaling
  const topIntercept = num(ds, '00281052') ?? 0;
  const topPosition = vec3(nums(ds, '00200032'));
  const topOrientation = orientation(nums(ds, '00200037'));
  const sharedOrientation = orientation(nums(item(shared, '00209116'), '00200037'));
  const sharedTransform = item(shared, '00289145');
  const offsets = nums(ds, '3004000C');
  const frames: FrameGeometry[] = [];
  for (let f = 0; f < count; f++) {
    const own = item(ds, '52009230', f);
    const transform = item(own, '00289145') ?? sharedTransform;
    const orient = orientation(nums(item(own, '00209116'), '00200037')) ?? sharedOrientation ?? topOrientation;
    let position = vec3(nums(item(own, '00209113'), '00200032'));
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
      rescaleSlope: num(transform, '00281053') ?? topSlope,
      rescaleIntercept: num(transform, '00281052') ?? topIntercept,
    });
  }
  return frames;
}
