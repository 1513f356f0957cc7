/**
 * Scanned DICOM objects into the series a user can pick. Images group by Study and Series
 * Instance UID, then split where one series holds images that cannot share a voxel grid:
 * different orientation, size, pixel type or echo, or repeated acquisitions of the same slices.
 *
 * Invariant: every image frame of the scan lands in exactly one `ScannedSeries`, and a series'
 * frames share rows, columns, pixel type and orientation; non-image objects are only listed.
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { DicomSeriesSummary, NonImageSummary } from '../../../../common/contract/dicom.js';
import type { FrameGeometry, ImageObject, OtherObject } from './dataset.js';
import { normal } from './orientation.js';
import { TRANSFER_SYNTAX_NAMES } from './transfer-syntax.js';

/** One frame of one file: the unit a volume is stacked from. */
export interface SliceRef {
  readonly object: ImageObject;
  readonly geometry: FrameGeometry;
}

export interface ScannedSeries {
  readonly summary: DicomSeriesSummary;
  readonly slices: readonly SliceRef[];
}

const round = (x: number, step: number): string => (Math.round(x / step) * step).toFixed(4);

function orientationKey(g: FrameGeometry): string {
  return g.orientation ? g.orientation.map((c) => round(c, 1e-3)).join(',') : 'none';
}

function positionKey(g: FrameGeometry): string {
  return g.position ? g.position.map((c) => round(c, 1e-2)).join(',') : `frame${g.frame}`;
}

export function groupSeries(images: readonly ImageObject[]): ScannedSeries[] {
  const byUid = new Map<string, SliceRef[]>();
  for (const object of images) {
    // Without a Series Instance UID (blanked by an anonymiser), images of one folder, frame of
    // reference and series number/description are taken as one series, and told so.
    const key = object.seriesInstanceUID
      ? `${object.studyInstanceUID}|${object.seriesInstanceUID}`
      : `no-uid|${dirname(object.path)}|${object.frameOfReferenceUID}|${object.seriesNumber}|${object.seriesDescription}|${object.modality}`;
    const list = byUid.get(key) ?? [];
    for (const geometry of object.frames) list.push({ object, geometry });
    byUid.set(key, list);
  }
  const out: ScannedSeries[] = [];
  for (const [key, slices] of byUid) {
    const parts = splitBy(slices, (s) => {
      const f = s.object.format;
      return [
        `${f.columns}×${f.rows}`,
        `${f.bitsAllocated}-bit ${f.pixelRepresentation ? 'signed' : 'unsigned'}`,
        orientationKey(s.geometry),
        s.object.echoNumber === null ? '' : `echo ${s.object.echoNumber}`,
      ];
    });
    const reasons = splitReasons(parts.map((p) => p.keyParts));
    parts.forEach((p, n) => {
      // Repeated acquisitions of the same positions are separate volumes.
      const byAcq = hasDuplicatePositions(p.items) ? splitBy(p.items, (s) => [`acquisition ${s.object.acquisitionNumber ?? '?'}`]) : [p];
      byAcq.forEach((a, m) => {
        const split = [...(reasons[n] ?? []), ...(byAcq.length > 1 ? ['acquisition'] : [])];
        const suffix = parts.length > 1 || byAcq.length > 1 ? `#${n + 1}.${m + 1}` : '';
        out.push({ summary: summarize(a.items, suffix, split, key), slices: a.items });
      });
    });
  }
  return out.sort(
    (a, b) =>
      a.summary.studyInstanceUID.localeCompare(b.summary.studyInstanceUID) ||
      (a.summary.seriesNumber ?? 0) - (b.summary.seriesNumber ?? 0) ||
      a.summary.seriesId.localeCompare(b.summary.seriesId),
  );
}

function splitBy(slices: readonly SliceRef[], key: (s: SliceRef) => string[]): { keyParts: string[]; items: SliceRef[] }[] {
  const groups = new Map<string, { keyParts: string[]; items: SliceRef[] }>();
  for (const s of slices) {
    const parts = key(s);
    const k = parts.join('|');
    const g = groups.get(k) ?? { keyParts: parts, items: [] };
    g.items.push(s);
    groups.set(k, g);
  }
  return [...groups.values()];
}

/** Which of size / pixel type / orientation / echo differ between the parts of a split. */
function splitReasons(keys: string[][]): string[][] {
  if (keys.length < 2) return keys.map(() => []);
  const names = ['size', 'pixel type', 'orientation', 'echo'];
  const differing = names.filter((_, i) => new Set(keys.map((k) => k[i])).size > 1);
  return keys.map(() => differing);
}

function hasDuplicatePositions(slices: readonly SliceRef[]): boolean {
  const seen = new Set<string>();
  for (const s of slices) {
    const k = positionKey(s.geometry);
    if (seen.has(k) && s.geometry.position) return true;
    seen.add(k);
  }
  return false;
}

function summarize(slices: readonly SliceRef[], suffix: string, splitBecause: string[], groupKey: string): DicomSeriesSummary {
  const first = slices[0] as SliceRef;
  const o = first.object;
  const warnings: string[] = [];
  if (!o.seriesInstanceUID) {
    warnings.push('The images have no Series Instance UID (anonymised?); they were grouped by folder, frame of reference and series description.');
  }
  const localId = `local-${createHash('sha1').update(groupKey).digest('hex').slice(0, 16)}`;
  if (splitBecause.length > 0) {
    warnings.push(`Series ${o.seriesNumber ?? ''} was split into several volumes: its images differ in ${splitBecause.join(', ')}.`.replace('  ', ' '));
  }
  const syntaxes = new Set(slices.map((s) => s.object.transferSyntax));
  const f = o.format;
  const orientation = first.geometry.orientation;
  return {
    seriesId: `${o.seriesInstanceUID || localId}${suffix}`,
    seriesInstanceUID: o.seriesInstanceUID,
    studyInstanceUID: o.studyInstanceUID,
    patientName: o.patientName,
    patientId: o.patientId,
    studyDate: o.studyDate,
    studyDescription: o.studyDescription,
    seriesDescription: o.seriesDescription + (suffix ? ` (${f.columns}×${f.rows}${o.echoNumber === null ? '' : `, echo ${o.echoNumber}`}${splitBecause.includes('acquisition') ? `, acquisition ${o.acquisitionNumber ?? '?'}` : ''})` : ''),
    seriesNumber: o.seriesNumber,
    modality: o.modality,
    sliceCount: slices.length,
    fileCount: new Set(slices.map((s) => s.object.path)).size,
    rows: f.rows,
    columns: f.columns,
    plane: orientation ? planeName(orientation) : 'unknown',
    transferSyntaxes: [...syntaxes].map((t) => TRANSFER_SYNTAX_NAMES[t] ?? t).sort(),
    warnings,
  };
}

/** Axial, coronal or sagittal by the dominant axis of the slice normal (LPS). */
function planeName(o: NonNullable<FrameGeometry['orientation']>): DicomSeriesSummary['plane'] {
  const n = normal(o).map(Math.abs) as [number, number, number];
  const max = Math.max(...n);
  if (max < 0.8) return 'oblique';
  return n[2] === max ? 'axial' : n[1] === max ? 'coronal' : 'sagittal';
}

/** Non-image objects grouped by series and reason, for the list under the picker. */
export function summarizeOthers(others: readonly OtherObject[]): NonImageSummary[] {
  const groups = new Map<string, NonImageSummary>();
  for (const o of others) {
    const k = `${o.seriesInstanceUID}|${o.reason}`;
    const g = groups.get(k);
    if (g) groups.set(k, { ...g, fileCount: g.fileCount + 1 });
    else {
      groups.set(k, {
        seriesInstanceUID: o.seriesInstanceUID,
        modality: o.modality,
        seriesDescription: o.seriesDescription,
        reason: o.reason,
        fileCount: 1,
      });
    }
  }
  return [...groups.values()];
}
