/**
 * DICOM data elements read straight from a file's bytes (PS3.5 7): where a file's File Meta and
 * dataset start, and a reader of element headers that the header parser (dataset.ts) and the
 * pixel data locator (pixel-data.ts) share. Values stay views into the file; nothing is copied
 * except a deflated dataset, which is inflated.
 *
 * Files are laid out one of three ways: Part 10 (128-byte preamble, "DICM", File Meta); a File
 * Meta group from byte 0 (no preamble); or a raw dataset (no preamble, no meta: older scanners,
 * some PACS exports). A raw dataset's transfer syntax is guessed as pydicom's
 * `dcmread(force=True)` does: explicit VR when bytes 4–5 spell a VR, big endian when the first
 * group reads 0x0800; unlike pydicom, a raw dataset must start in group 0008 (every composite
 * object has its SOP Class UID there), so a random file is never taken for one.
 *
 * Rejected (thrown as `DicomFileError`): files laid out none of these ways ('not a DICOM
 * file …'), corrupt deflated data, and elements whose lengths run past the end of the data.
 */
import { inflateRawSync } from 'node:zlib';
import { DicomFileError } from './errors.js';

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const DEFLATED = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';
export const UNDEFINED = 0xffffffff;

/** The VRs of PS3.5 6.2: two bytes that spell one of these after a tag mean explicit VR. */
const VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));
/** Explicit-VR VRs with a 2-byte reserved field and a 4-byte length (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

const vrAt = (b: Uint8Array, i: number): boolean => i + 2 <= b.length && VRS.has(String.fromCharCode(b[i] as number, b[i + 1] as number));

export const NOT_DICOM = 'not a DICOM file (no "DICM" marker at byte 128)';

export interface ElementHeader {
  readonly group: number;
  readonly element: number;
  /** Explicit VR as written; '' in implicit VR and for items and delimiters. */
  readonly vr: string;
  /** Value length; UNDEFINED for sequences and encapsulated data of undefined length. */
  readonly length: number;
  /** Offset of the value. */
  readonly value: number;
}

export class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly little: boolean,
    readonly implicit: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u16(at: number): number {
    return this.view.getUint16(at, this.little);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.little);
  }
  get dataView(): DataView {
    return this.view;
  }
  /** The element header at `at`; null when fewer bytes remain than a header needs. */
  header(at: number): ElementHeader | null {
    if (at + 8 > this.bytes.length) return null;
    const group = this.u16(at);
    const element = this.u16(at + 2);
    // Items and delimiters have no VR in any transfer syntax.
    if (this.implicit || group === 0xfffe) return { group, element, vr: '', length: this.u32(at + 4), value: at + 8 };
    const vr = String.fromCharCode(this.bytes[at + 4] as number, this.bytes[at + 5] as number);
    if (LONG_VRS.has(vr)) {
      if (at + 12 > this.bytes.length) return null;
      return { group, element, vr, length: this.u32(at + 8), value: at + 12 };
    }
    return { group, element, vr, length: this.u16(at + 6), value: at + 8 };
  }
  /** The reader for a UN value of undefined length: implicit VR little endian (PS3.5 6.2.2). */
  forValue(vr: string): Reader {
    return vr === 'UN' && !this.implicit ? new Reader(this.bytes, true, true) : this;
  }
}

export const truncated = (): DicomFileError => new DicomFileError('the file ends inside its header, before the pixel data');

/** Skip a sequence (or UN) of undefined length from its first item; returns the offset after it. */
export function skipUndefined(r: Reader, at: number): number {
  for (;;) {
    const h = r.header(at);
    if (!h) throw truncated();
    if (h.group === 0xfffe && h.element === 0xe0dd) return h.value;
    if (h.group !== 0xfffe || h.element !== 0xe000) throw new DicomFileError('a sequence in the header is malformed');
    at = h.length === UNDEFINED ? skipItem(r, h.value) : h.value + h.length;
  }
}

function skipItem(r: Reader, at: number): number {
  for (;;) {
    const h = r.header(at);
    if (!h) throw truncated();
    if (h.group === 0xfffe && h.element === 0xe00d) return h.value;
    at = h.length === UNDEFINED ? skipUndefined(r.forValue(h.vr), h.value) : h.value + h.length;
  }
}

export interface Layout {
  /** Where the File Meta group starts; null for a raw dataset. */
  readonly meta: number | null;
  /** Where the dataset starts (after the meta). */
  readonly dataset: number;
  /** The guessed transfer syntax of a raw dataset; undefined when the file has a meta. */
  readonly rawSyntax?: string;
}

/** How a file is laid out (see the file header). */
export function layoutOf(bytes: Uint8Array): Layout {
  const part10 = bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
  if (part10 || (bytes.length >= 8 && bytes[0] === 0x02 && bytes[1] === 0x00 && vrAt(bytes, 4))) {
    const meta = part10 ? 132 : 0;
    // The File Meta group is explicit VR little endian whatever the dataset's syntax.
    const r = new Reader(bytes, true, false);
    let at = meta;
    for (let h = r.header(at); h && h.group === 0x0002; h = r.header(at)) at = h.value + h.length;
    return { meta, dataset: at };
  }
  const syntax = guessSyntax(bytes, 0);
  if (!syntax) throw new DicomFileError(NOT_DICOM);
  return { meta: null, dataset: 0, rawSyntax: syntax };
}

/**
 * The transfer syntax of a dataset at `at` whose meta does not say (see the file header). A
 * raw dataset (`anyGroup` false) must start in group 0008, else the answer is undefined; after a
 * File Meta the file is DICOM anyway and any first group is taken (pydicom's rule).
 */
export function guessSyntax(bytes: Uint8Array, at: number, anyGroup = false): string | undefined {
  if (at + 8 > bytes.length) return undefined;
  const groupLE = (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
  // Big endian is explicit VR only; a small group read the wrong way round is large.
  if (vrAt(bytes, at + 4)) {
    if (groupLE === 0x0008 || (anyGroup && groupLE < 0x0400)) return EXPLICIT_LE;
    return groupLE === 0x0800 || (anyGroup && groupLE >= 0x0400) ? EXPLICIT_BE : undefined;
  }
  // Implicit VR: a 4-byte length, even as every value length is, or undefined (a sequence).
  const length = new DataView(bytes.buffer, bytes.byteOffset + at + 4, 4).getUint32(0, true);
  return (groupLE === 0x0008 || anyGroup) && (length % 2 === 0 || length === UNDEFINED) ? IMPLICIT_LE : undefined;
}

/** The dataset's bytes and a reader for them: inflated when the transfer syntax is deflated. */
export function datasetReader(file: Uint8Array, layout: Layout, transferSyntax: string): { reader: Reader; start: number } {
  if (transferSyntax === DEFLATED) {
    let inflated: Uint8Array;
    try {
      inflated = inflateRawSync(file.subarray(layout.dataset));
    } catch (e) {
      throw new DicomFileError(`the deflated dataset is corrupt (${e instanceof Error ? e.message : String(e)})`);
    }
    return { reader: new Reader(inflated, true, false), start: 0 };
  }
  // Some writers label an implicit-VR dataset explicit (pydicom reads it, with a warning, as
  // implicit): when the first element has no VR where explicit VR puts one, so do we.
  const implicit = transferSyntax === IMPLICIT_LE || (transferSyntax !== EXPLICIT_BE && !vrAt(file, layout.dataset + 4));
  return { reader: new Reader(file, transferSyntax !== EXPLICIT_BE, implicit), start: layout.dataset };
}
