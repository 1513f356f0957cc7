/**
 * A DICOM Segmentation file as a dcmjs natural dataset, with the readers the importers share.
 * dcmjs is loaded at first use (it costs ~12 MB that opening a study never needs).
 */
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../imaging/dicom/vendor.d.ts" />
import { basename } from 'node:path';
import type { NaturalDataset } from 'dcmjs';
import { UserFacingError } from '../../../common/contract/result.js';
import { readRegularFile } from '../storage/safe-read.js';

export const SEG_SOP_CLASSES: Readonly<Record<string, string>> = {
  '1.2.840.10008.5.1.4.1.1.66.4': 'Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.66.7': 'Label Map Segmentation Storage',
};

/** dcmjs gives single values bare and several as arrays; these read either. */
export function many(ds: NaturalDataset | undefined, key: string): unknown[] {
  const x = ds?.[key];
  return x === undefined || x === null ? [] : Array.isArray(x) ? (x as unknown[]) : [x];
}
export function one(ds: NaturalDataset | undefined, key: string): unknown {
  return many(ds, key)[0];
}
/** A value as text ('' when absent or not a string or number). */
export function text(ds: NaturalDataset | undefined, key: string): string {
  const v = one(ds, key);
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}
export function seq(ds: NaturalDataset | undefined, key: string): NaturalDataset[] {
  return many(ds, key).filter((x): x is NaturalDataset => typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !(x instanceof ArrayBuffer));
}

/** True when the bytes start like a DICOM Part 10 file (preamble then "DICM"). */
export const isDicomPart10 = (b: Uint8Array): boolean => b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;

/** Parse a SEG file (its transfer syntax as `_transferSyntaxUID`); refuses (naming the file) what is not DICOM or not a Segmentation. */
export async function readSegDataset(path: string): Promise<NaturalDataset> {
  const name = basename(path);
  const bytes = await readRegularFile(path, { name });
  if (!isDicomPart10(bytes)) throw new UserFacingError('unreadable', `${name} is not a DICOM file.`);
  const dcmjs = (await import('dcmjs')).default;
  let ds: NaturalDataset;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const file = dcmjs.data.DicomMessage.readFile(buffer);
    ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
    const ts = file.meta['00020010']?.Value?.[0];
    ds['_transferSyntaxUID'] = typeof ts === 'string' ? ts.replace(/\0/g, '').trim() : '';
  } catch (e) {
    throw new UserFacingError('unreadable', `${name} could not be read as DICOM: ${e instanceof Error ? e.message : String(e)}.`);
  }
  const sop = text(ds, 'SOPClassUID');
  if (!SEG_SOP_CLASSES[sop] || seq(ds, 'SegmentSequence').length === 0) {
    throw new UserFacingError('unreadable', `${name} is not a DICOM Segmentation (its SOP Class UID is ${sop || 'missing'}).`);
  }
  return ds;
}

/** DICOM's scaled CIELab (0..65535 each) back to sRGB 0..255, the inverse of the writer's conversion. */
export function cielabToRgb(lab: readonly number[]): [number, number, number] {
  const L = ((lab[0] ?? 0) / 65535) * 100;
  const a = ((lab[1] ?? 0) / 65535) * 255 - 128;
  const b = ((lab[2] ?? 0) / 65535) * 255 - 128;
  const fy = (L + 16) / 116;
  const finv = (t: number): number => (t > 6 / 29 ? t ** 3 : 3 * (6 / 29) ** 2 * (t - 4 / 29));
  const [X, Y, Z] = [0.95047 * finv(fy + a / 500), finv(fy), 1.08883 * finv(fy - b / 200)];
  const r = 3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z;
  const g = -0.969266 * X + 1.8760108 * Y + 0.041556 * Z;
  const bl = 0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z;
  const gamma = (c: number): number => Math.round(255 * Math.min(1, Math.max(0, c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055)));
  return [gamma(r), gamma(g), gamma(bl)];
}
