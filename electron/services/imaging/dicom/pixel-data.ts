/**
 * The top-level Pixel Data element of a file, found by walking element lengths (elements.ts):
 * what the decode needs, without parsing the header again (the scan did). Values are views into
 * the file's bytes, never copies; only a deflated dataset is inflated first.
 *
 * Invariant: only the dataset's own (7FE0,0010) is returned, never one inside a sequence item
 * (icon images), because sequences of undefined length are walked item by item and sequences
 * of defined length are skipped whole. Native data reports the bytes the element declares and
 * those the file really holds; encapsulated data reports whether its Sequence Delimitation Item
 * was reached (a cut file decodes to wrong pixels without complaint in JPEG 2000).
 *
 * Rejected (thrown as `DicomFileError`): files without a Pixel Data element or whose elements
 * run past the end before it, and fragments that cannot be split into the expected frames.
 */
import { datasetReader, layoutOf, skipUndefined, UNDEFINED, type Reader } from './elements.js';
import { DicomFileError } from './errors.js';

export type PixelData =
  | {
      readonly kind: 'native';
      /** The element's value as present in the file (a cut file holds less than it declares). */
      readonly value: Uint8Array;
      readonly declared: number;
    }
  | {
      readonly kind: 'encapsulated';
      /** Basic Offset Table entries (empty when the table is). */
      readonly offsets: readonly number[];
      /** Fragments after the offset table, with their item's offset from the first fragment item. */
      readonly fragments: readonly { readonly at: number; readonly bytes: Uint8Array }[];
      /** False when the file ends before the Sequence Delimitation Item. */
      readonly complete: boolean;
    };

/** Find the dataset's Pixel Data element in a whole file whose transfer syntax the scan read. */
export function locatePixelData(file: Uint8Array, transferSyntax: string): PixelData {
  const { reader: r, start } = datasetReader(file, layoutOf(file), transferSyntax);
  for (let at = start; ; ) {
    const h = r.header(at);
    if (!h) throw new DicomFileError('the file has no pixel data');
    if (h.group === 0x7fe0 && h.element === 0x0010) {
      if (h.length !== UNDEFINED) {
        return { kind: 'native', value: r.bytes.subarray(h.value, Math.min(r.bytes.length, h.value + h.length)), declared: h.length };
      }
      return encapsulated(r, h.value);
    }
    at = h.length === UNDEFINED ? skipUndefined(r.forValue(h.vr), h.value) : h.value + h.length;
  }
}

function encapsulated(r: Reader, at: number): PixelData {
  const table = r.header(at);
  if (!table || table.group !== 0xfffe || table.element !== 0xe000) {
    throw new DicomFileError('the compressed pixel data has no offset table item');
  }
  const offsets: number[] = [];
  for (let i = 0; i + 4 <= table.length && table.value + i + 4 <= r.bytes.length; i += 4) offsets.push(r.u32(table.value + i));
  const first = table.value + table.length;
  const fragments: { at: number; bytes: Uint8Array }[] = [];
  for (let pos = first; ; ) {
    const h = r.header(pos);
    if (!h) return { kind: 'encapsulated', offsets, fragments, complete: false };
    if (h.group === 0xfffe && h.element === 0xe0dd) return { kind: 'encapsulated', offsets, fragments, complete: true };
    if (h.group !== 0xfffe || h.element !== 0xe000 || h.length === UNDEFINED) {
      throw new DicomFileError('the compressed pixel data is malformed (a fragment is not an item)');
    }
    // A fragment cut by the end of the file: the delimiter is missing too, so `complete` says so.
    fragments.push({ at: pos - first, bytes: r.bytes.subarray(h.value, Math.min(r.bytes.length, h.value + h.length)) });
    pos = h.value + h.length;
  }
}

/**
 * The encoded bytes of each frame: grouped by the Basic Offset Table when there is one, else
 * one fragment per frame, or every fragment for a single frame (PS3.5 A.4).
 */
export function frameStreams(p: Extract<PixelData, { kind: 'encapsulated' }>, frameCount: number): Uint8Array[] {
  const join = (parts: readonly Uint8Array[]): Uint8Array => (parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts));
  const { fragments, offsets } = p;
  if (offsets.length === frameCount && frameCount > 1) {
    return offsets.map((start, f) => {
      const end = offsets[f + 1] ?? Infinity;
      return join(fragments.filter((x) => x.at >= start && x.at < end).map((x) => x.bytes));
    });
  }
  if (frameCount === 1) return [join(fragments.map((x) => x.bytes))];
  if (fragments.length !== frameCount) {
    throw new DicomFileError(`${fragments.length} compressed fragments cannot be split into ${frameCount} frames`);
  }
  return fragments.map((x) => x.bytes);
}
