/**
 * DICOM Segmentation (SEG) export: the final label map as a binary SEG (or, on request, a
 * LABELMAP SEG of the Label Map Segmentation SOP class) in its source series' study, referencing
 * every source slice by SOP Instance UID and sharing its Frame of Reference, built as a dcmjs
 * dataset and read back before it replaces anything on disk.
 *
 * Invariants:
 * - BINARY: one frame per (segment, slice) where the segment has voxels, segments in label-value
 *   order and slices in k order. LABELMAP: one 8-bit frame per slice with any voxel labelled,
 *   each pixel its voxel's Segment Number (0 none), no Segment Identification per frame. A frame's rows and columns are the volume's j and i axes, so frame
 *   pixel r·Columns + c is voxel (i = c, j = r, k); its ImagePositionPatient is
 *   origin + k · spacing[2] · (direction column 2), and its Source Image Sequence names slice k's
 *   SOP Class and Instance UID (and frame number, for a multi-frame source).
 * - Segment Numbers run 1..n in that order; the segments do not overlap (one class per voxel).
 * - The target is replaced only when the temporary file, read back with dcmjs, rebuilds the
 *   input label map voxel for voxel and carries the segments and references as written.
 *
 * Refused with a UserFacingError saying what to do: a volume not read from DICOM, a label map
 * where nothing is labelled, label values no segment describes, a source without a Frame of
 * Reference UID or a SOP Class or Instance UID for some slice, segments with a label value
 * outside 1..255 or repeated, and segments other than MANUAL without an algorithm name. A source
 * whose Study or Series Instance UID is blank (anonymised) gets a stable substitute derived from
 * its Frame of Reference and SOP Instance UIDs, and the report says so.
 */
// e2e/tsconfig.json compiles these sources through imports and would not see the declarations.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../imaging/dicom/vendor.d.ts" />
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type dcmjsModule from 'dcmjs';
import type { NaturalDataset } from 'dcmjs';
import { UserFacingError } from '../../../common/contract/result.js';
import { readAppVersion } from '../app-version.js';
import type { DicomIdentity, Vec3, Volume } from '../imaging/volume.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { segPixelData } from './seg-pixel-data.js';
import type { Code, ExportReport, ExportSegment, LabelExportInput } from './segments.js';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
/** Label Map Segmentation Storage (Supplement 243, in the standard since 2024). */
export const LABEL_MAP_SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.7';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** This program's Implementation Class UID (a UUID under 2.25, fixed for every version). */
const IMPLEMENTATION_CLASS_UID = '2.25.48510419772601798086584841028871670966';
/** Namespace of the name-based UUIDs that stand in for blank source UIDs. */
const DERIVED_UID_NAMESPACE = 'd544e1c3-1d7d-45f8-a359-d886cba5b2ec';
const MANUFACTURER = 'H-SAM Workstation';

/** CID 7203 Image Derivation and CID 7202 Source Image Purposes of Reference. */
const DERIVATION_SEGMENTATION: Code = { value: '113076', scheme: 'DCM', meaning: 'Segmentation' };
const PURPOSE_SOURCE: Code = { value: '121322', scheme: 'DCM', meaning: 'Source image for image processing operation' };

export interface DicomSegOptions {
  /** Content Creator Name: who made the labels, as a DICOM person name ("Family^Given"). */
  readonly creatorName?: string;
  /** Series Number of the new SEG series (default 300, clear of typical acquisition series). */
  readonly seriesNumber?: number;
  /**
   * BINARY (default; every receiver reads it): one 1-bit frame per segment and slice. LABELMAP
   * (Supplement 243): one 8-bit frame per labelled slice whose pixels hold the Segment Number,
   * much smaller with many segments, for receivers that support the Label Map SOP class.
   */
  readonly segmentationType?: 'BINARY' | 'LABELMAP';
}

/** What was written, plus what the user should know about the file (substituted UIDs). */
export interface DicomSegReport extends ExportReport {
  readonly warnings: readonly string[];
}

/** A segment as written: its Segment Number, the values as encoded, and its voxel count. */
interface WrittenSegment {
  readonly number: number;
  readonly segment: ExportSegment;
  readonly label: string;
  readonly algorithmName: string | undefined;
  readonly cielab: readonly [number, number, number];
}

/** A frame: one segment on slice k (BINARY), or every segment on slice k (LABELMAP: segment null). */
interface Frame {
  readonly segment: WrittenSegment | null;
  readonly k: number;
}

interface Plan {
  readonly dicom: DicomIdentity;
  readonly segments: readonly WrittenSegment[];
  readonly frames: readonly Frame[];
  readonly studyInstanceUID: string;
  readonly sourceSeriesInstanceUID: string;
  readonly labelmap: boolean;
  readonly warnings: readonly string[];
}

type Dcmjs = typeof dcmjsModule;
/** Loaded at the first SEG export: dcmjs costs ~12 MB and 20 ms, which opening a study never needs. */
const loadDcmjs = async (): Promise<Dcmjs> => (await import('dcmjs')).default;

export async function writeDicomSeg(input: LabelExportInput, outPath: string, opts: DicomSegOptions = {}): Promise<DicomSegReport> {
  const dcmjs = await loadDcmjs();
  const plan = planSeg(input, opts.segmentationType === 'LABELMAP');
  const sopInstanceUID = newUid();
  const version = readAppVersion();
  const dataset = buildDataset(input, plan, sopInstanceUID, version, opts);
  const bytes = encode(dcmjs, dataset, sopInstanceUID, version, plan.labelmap ? LABEL_MAP_SEGMENTATION_STORAGE : SEGMENTATION_STORAGE);
  const fileName = basename(outPath);
  let verified = '';
  await writeFileAtomic(outPath, [bytes], {
    verify: async (tmp) => {
      verified = verifySeg(dcmjs, await readFile(tmp), input, plan, fileName);
    },
  });
  return { files: [{ path: outPath, bytes: bytes.byteLength }], verified, warnings: plan.warnings };
}

/** Check the input and lay out segments and frames; every refusal happens here, before writing. */
function planSeg(input: LabelExportInput, labelmap: boolean): Plan {
  const v = input.volume;
  const dicom = v.dicom;
  if (!dicom) {
    throw new UserFacingError(
      'invalid-argument',
      `${v.name} was not opened from DICOM images, so a DICOM SEG would have no source images to reference. Open the original DICOM series to export a DICOM SEG, or export these labels as NIfTI or NRRD.`,
    );
  }
  const [ni, nj, nk] = v.dims;
  const sliceSize = ni * nj;
  if (input.labels.length !== sliceSize * nk) {
    throw new UserFacingError('invalid-argument', `The label map has ${input.labels.length} voxels but ${v.name} has ${sliceSize * nk} voxels; the labels do not belong to this volume.`);
  }
  if (dicom.sopInstanceUIDs.length !== nk || dicom.sopClassUIDs.length !== nk || dicom.frameNumbers.length !== nk) {
    throw new UserFacingError('internal', `${v.name} has ${nk} slices but its DICOM identity lists ${dicom.sopInstanceUIDs.length}.`);
  }
  if (!dicom.frameOfReferenceUID) {
    throw new UserFacingError('invalid-argument', `${v.name} has no Frame of Reference UID, so a DICOM SEG could not be placed on its images. Export these labels as NIfTI or NRRD instead.`);
  }
  const unnamed = dicom.sopInstanceUIDs.findIndex((uid, k) => !uid || !dicom.sopClassUIDs[k]);
  if (unnamed >= 0) {
    throw new UserFacingError('invalid-argument', `Slice ${unnamed + 1} of ${v.name} has no SOP Instance or Class UID, so a DICOM SEG could not reference it. Export these labels as NIfTI or NRRD instead.`);
  }

  const byValue = new Map<number, ExportSegment>();
  for (const s of input.segments) {
    if (!Number.isInteger(s.labelValue) || s.labelValue < 1 || s.labelValue > 255 || byValue.has(s.labelValue)) {
      throw new UserFacingError('invalid-argument', `Segment "${s.name}" has label value ${s.labelValue}; each segment needs its own value from 1 to 255.`);
    }
    if (s.algorithmType !== 'MANUAL' && !s.algorithmName?.trim()) {
      throw new UserFacingError('invalid-argument', `Segment "${s.name}" is ${s.algorithmType} but names no algorithm; DICOM requires the model's name for it.`);
    }
    byValue.set(s.labelValue, s);
  }

  // Voxels per (label value, slice): decides which frames exist.
  const counts = new Uint32Array(256 * nk);
  for (let k = 0; k < nk; k++) {
    const slice = input.labels.subarray(k * sliceSize, (k + 1) * sliceSize);
    for (let p = 0; p < sliceSize; p++) counts[(slice[p] as number) * nk + k]! += 1;
  }
  const total = (value: number): number => counts.subarray(value * nk, (value + 1) * nk).reduce((a, b) => a + b, 0);
  const undescribed = [...Array(255).keys()].map((x) => x + 1).filter((value) => !byValue.has(value) && total(value) > 0);
  if (undescribed.length > 0) {
    throw new UserFacingError('invalid-argument', `The label map uses class value${undescribed.length > 1 ? 's' : ''} ${undescribed.join(', ')}, which no segment describes; the DICOM SEG was not written.`);
  }
  const present = [...byValue.values()].filter((s) => total(s.labelValue) > 0).sort((a, b) => a.labelValue - b.labelValue);
  if (present.length === 0) {
    throw new UserFacingError('invalid-argument', `Nothing is labelled in ${v.name}: label at least one structure before exporting a DICOM SEG.`);
  }
  const segments = present.map(
    (s, n): WrittenSegment => ({
      number: n + 1,
      segment: s,
      label: lo(s.name) || `Segment ${s.labelValue}`, // Segment Label is type 1
      algorithmName: s.algorithmType === 'MANUAL' ? undefined : lo(s.algorithmName ?? ''),
      cielab: dicomCielab(s.color),
    }),
  );
  const frames: Frame[] = [];
  if (labelmap) {
    // One frame per slice that holds any segment; empty slices are left out, as for BINARY.
    for (let k = 0; k < nk; k++) if (segments.some((s) => (counts[s.segment.labelValue * nk + k] as number) > 0)) frames.push({ segment: null, k });
  } else {
    for (const s of segments) for (let k = 0; k < nk; k++) if ((counts[s.segment.labelValue * nk + k] as number) > 0) frames.push({ segment: s, k });
  }

  const warnings: string[] = [];
  let studyInstanceUID = dicom.studyInstanceUID;
  if (!studyInstanceUID) {
    studyInstanceUID = derivedUid(`study|${dicom.frameOfReferenceUID}`);
    warnings.push('The source images have no Study Instance UID (anonymised), so the DICOM SEG was given one derived from their Frame of Reference UID: every export from these images lands in the same study.');
  }
  let sourceSeriesInstanceUID = dicom.seriesInstanceUID;
  if (!sourceSeriesInstanceUID) {
    sourceSeriesInstanceUID = derivedUid(`series|${dicom.frameOfReferenceUID}|${dicom.sopInstanceUIDs.join('|')}`);
    warnings.push('The source images have no Series Instance UID (anonymised), so the DICOM SEG names their series by a UID derived from their SOP Instance UIDs; viewers still match it to the images by those SOP Instance UIDs.');
  }
  return { dicom, segments, frames, studyInstanceUID, sourceSeriesInstanceUID, warnings, labelmap };
}

/** Where slice k lies and how its rows and columns run, from the volume's LPS geometry. */
function sliceGeometry(v: Volume): { orientation: number[]; position: (k: number) => Vec3; normal: Vec3 } {
  const d = v.direction;
  const axis = (c: number): Vec3 => [d[c]!, d[3 + c]!, d[6 + c]!];
  const [rowDir, colDir, normal] = [axis(0), axis(1), axis(2)];
  const dk = v.spacing[2];
  return {
    orientation: [...rowDir, ...colDir],
    normal,
    position: (k) => [v.origin[0] + k * dk * normal[0], v.origin[1] + k * dk * normal[1], v.origin[2] + k * dk * normal[2]],
  };
}

function buildDataset(input: LabelExportInput, plan: Plan, sopInstanceUID: string, version: string, opts: DicomSegOptions): NaturalDataset {
  const v = input.volume;
  const { dicom } = plan;
  const [ni, nj] = v.dims;
  const geometry = sliceGeometry(v);
  const now = new Date();
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const dimensionOrganizationUID = newUid();
  const description = lo(input.description || 'Segmentation');

  const instances = new Map<string, string>();
  dicom.sopInstanceUIDs.forEach((uid, k) => instances.set(uid, dicom.sopClassUIDs[k] as string));

  return {
    // SOP Common
    SpecificCharacterSet: 'ISO_IR 192', // dcmjs writes every string as UTF-8
    SOPClassUID: plan.labelmap ? LABEL_MAP_SEGMENTATION_STORAGE : SEGMENTATION_STORAGE,
    SOPInstanceUID: sopInstanceUID,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    // Patient and General Study: copied from the source, so the SEG files with its images.
    PatientName: dicom.patient.name,
    PatientID: dicom.patient.id,
    PatientBirthDate: dicom.patient.birthDate,
    PatientSex: dicom.patient.sex,
    StudyInstanceUID: plan.studyInstanceUID,
    StudyDate: dicom.study.date,
    StudyTime: dicom.study.time,
    ReferringPhysicianName: dicom.study.referringPhysicianName,
    StudyID: dicom.study.id,
    AccessionNumber: dicom.study.accessionNumber,
    ...(dicom.study.description ? { StudyDescription: dicom.study.description } : {}),
    // General Series and Segmentation Series
    Modality: 'SEG',
    SeriesInstanceUID: newUid(),
    SeriesNumber: opts.seriesNumber ?? 300,
    SeriesDate: date,
    SeriesTime: time,
    SeriesDescription: description,
    // Frame of Reference: the source's, so the frames' positions mean the same points.
    FrameOfReferenceUID: dicom.frameOfReferenceUID,
    PositionReferenceIndicator: '',
    // General and Enhanced General Equipment: this program made the file.
    Manufacturer: MANUFACTURER,
    ManufacturerModelName: MANUFACTURER,
    // Software has no serial number; the attribute is type 1, so say so.
    DeviceSerialNumber: 'none',
    SoftwareVersions: version,
    // General Image, Segmentation Image, Image Pixel
    InstanceNumber: 1,
    ContentDate: date,
    ContentTime: time,
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'SEGMENTATION',
    ContentDescription: description,
    ContentCreatorName: opts.creatorName ?? '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: nj,
    Columns: ni,
    ...(plan.labelmap ? { BitsAllocated: 8, BitsStored: 8, HighBit: 7, PixelPaddingValue: 0 } : { BitsAllocated: 1, BitsStored: 1, HighBit: 0 }),
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: plan.labelmap ? 'LABELMAP' : 'BINARY',
    SegmentsOverlap: 'NO',
    SegmentSequence: plan.segments.map(segmentItem),
    // Multi-frame Dimension: frames are indexed by segment (BINARY only), then by slice position.
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUID }],
    DimensionIndexSequence: [
      ...(plan.labelmap
        ? []
        : [{ DimensionOrganizationUID: dimensionOrganizationUID, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: 'Segment Number' }]),
      { DimensionOrganizationUID: dimensionOrganizationUID, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: 'Image Position Patient' },
    ],
    // Multi-frame Functional Groups
    NumberOfFrames: plan.frames.length,
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: geometry.orientation.map(decimal) }],
        // A label voxel is as thick as the slice spacing (not the source's SliceThickness).
        PixelMeasuresSequence: [{ PixelSpacing: [decimal(v.spacing[1]), decimal(v.spacing[0])], SliceThickness: decimal(v.spacing[2]), SpacingBetweenSlices: decimal(v.spacing[2]) }],
      },
    ],
    PerFrameFunctionalGroupsSequence: plan.frames.map(({ segment, k }) => {
      const frameNumber = dicom.frameNumbers[k];
      return {
        DerivationImageSequence: [
          {
            DerivationCodeSequence: [codeItem(DERIVATION_SEGMENTATION)],
            SourceImageSequence: [
              {
                ReferencedSOPClassUID: dicom.sopClassUIDs[k],
                ReferencedSOPInstanceUID: dicom.sopInstanceUIDs[k],
                ...(frameNumber === null || frameNumber === undefined ? {} : { ReferencedFrameNumber: frameNumber }),
                PurposeOfReferenceCodeSequence: [codeItem(PURPOSE_SOURCE)],
              },
            ],
          },
        ],
        FrameContentSequence: [{ DimensionIndexValues: segment ? [segment.number, k + 1] : [k + 1] }],
        PlanePositionSequence: [{ ImagePositionPatient: geometry.position(k).map(decimal) }],
        ...(segment ? { SegmentIdentificationSequence: [{ ReferencedSegmentNumber: segment.number }] } : {}),
      };
    }),
    // Common Instance Reference: the source series and each of its instances, once.
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: plan.sourceSeriesInstanceUID,
        ReferencedInstanceSequence: [...instances].map(([uid, cls]) => ({ ReferencedSOPClassUID: cls, ReferencedSOPInstanceUID: uid })),
      },
    ],
    PixelData: segPixelData(input.labels, v.dims, plan.frames.map((f) => ({ k: f.k, labelValue: f.segment?.segment.labelValue ?? null })), segmentNumbers(plan.segments)),
    // PixelPaddingValue is US or SS by dictionary; unsigned pixels make it US.
    _vrMap: plan.labelmap ? { PixelData: 'OB', PixelPaddingValue: 'US' } : { PixelData: 'OB' },
  };
}

function segmentItem(s: WrittenSegment): NaturalDataset {
  const { segment } = s;
  const type: NaturalDataset = codeItem(segment.type);
  if (segment.typeModifier) type['SegmentedPropertyTypeModifierCodeSequence'] = [codeItem(segment.typeModifier)];
  return {
    SegmentNumber: s.number,
    SegmentLabel: s.label,
    SegmentAlgorithmType: segment.algorithmType,
    ...(s.algorithmName === undefined ? {} : { SegmentAlgorithmName: s.algorithmName }),
    SegmentedPropertyCategoryCodeSequence: [codeItem(segment.category)],
    SegmentedPropertyTypeCodeSequence: [type],
    RecommendedDisplayCIELabValue: [...s.cielab],
  };
}

const codeItem = (c: Code): NaturalDataset => ({ CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning });

/** Segment Number by label value (0: none), for LABELMAP pixels. */
function segmentNumbers(segments: readonly WrittenSegment[]): Uint8Array {
  const number = new Uint8Array(256);
  for (const s of segments) number[s.segment.labelValue] = s.number;
  return number;
}

function encode(dcmjs: Dcmjs, dataset: NaturalDataset, sopInstanceUID: string, version: string, sopClassUID: string): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUID,
    MediaStorageSOPInstanceUID: sopInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: `HSAM_${version}`.slice(0, 16),
    _vrMap: { FileMetaInformationVersion: 'OB' },
  });
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

/**
 * Read the written file back with dcmjs and compare it with what was meant: the label volume
 * rebuilt from the frames, the segment descriptions, and each frame's source reference. Returns
 * the summary for `ExportReport.verified`; any difference throws, so the target stays as it was.
 */
function verifySeg(dcmjs: Dcmjs, bytes: Uint8Array, input: LabelExportInput, plan: Plan, fileName: string): string {
  const fail = (what: string): never => {
    throw new UserFacingError('internal', `${fileName} was not saved: the DICOM SEG did not read back as written (${what}). The previous version is unchanged.`);
  };
  let ds: NaturalDataset;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(buffer).dict);
  } catch (e) {
    return fail(`it cannot be parsed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const v = input.volume;
  const [ni, nj, nk] = v.dims;
  const sliceSize = ni * nj;
  const expect = (what: string, got: unknown, want: unknown): void => {
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  };
  expect('SOP Class UID', one(ds, 'SOPClassUID'), plan.labelmap ? LABEL_MAP_SEGMENTATION_STORAGE : SEGMENTATION_STORAGE);
  expect('Segmentation Type', one(ds, 'SegmentationType'), plan.labelmap ? 'LABELMAP' : 'BINARY');
  expect('Frame of Reference UID', one(ds, 'FrameOfReferenceUID'), plan.dicom.frameOfReferenceUID);
  expect('size', [one(ds, 'Columns'), one(ds, 'Rows'), one(ds, 'BitsAllocated')], [ni, nj, plan.labelmap ? 8 : 1]);
  expect('Number of Frames', Number(one(ds, 'NumberOfFrames')), plan.frames.length);

  const items = seq(ds, 'SegmentSequence');
  expect('segment count', items.length, plan.segments.length);
  plan.segments.forEach((s, n) => {
    const item = items[n] ?? {};
    const code = (c: NaturalDataset | undefined): Code => ({ value: String(one(c, 'CodeValue')), scheme: String(one(c, 'CodingSchemeDesignator')), meaning: String(one(c, 'CodeMeaning')) });
    const type = seq(item, 'SegmentedPropertyTypeCodeSequence')[0];
    const modifier = seq(type, 'SegmentedPropertyTypeModifierCodeSequence')[0];
    expect(`segment ${s.number}`, {
      number: one(item, 'SegmentNumber'),
      label: one(item, 'SegmentLabel'),
      algorithmType: one(item, 'SegmentAlgorithmType'),
      algorithmName: one(item, 'SegmentAlgorithmName'),
      category: code(seq(item, 'SegmentedPropertyCategoryCodeSequence')[0]),
      type: code(type),
      modifier: modifier ? code(modifier) : undefined,
      cielab: many(item, 'RecommendedDisplayCIELabValue').map(Number),
    }, {
      number: s.number,
      label: s.label,
      algorithmType: s.segment.algorithmType,
      algorithmName: s.algorithmName,
      category: s.segment.category,
      type: s.segment.type,
      modifier: s.segment.typeModifier,
      cielab: [...s.cielab],
    });
  });

  const pixels = many(ds, 'PixelData')[0];
  const bits = pixels instanceof ArrayBuffer ? new Uint8Array(pixels) : ArrayBuffer.isView(pixels) ? new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) : new Uint8Array(0);
  if (bits.length < Math.ceil((plan.frames.length * sliceSize) / (plan.labelmap ? 1 : 8))) fail(`Pixel Data holds ${bits.length} bytes, too few for ${plan.frames.length} frames`);

  const geometry = sliceGeometry(v);
  const rebuilt = new Uint8Array(input.labels.length);
  const frames = seq(ds, 'PerFrameFunctionalGroupsSequence');
  expect('per-frame functional groups', frames.length, plan.frames.length);
  for (const [n, f] of frames.entries()) {
    const number = plan.labelmap ? 0 : Number(one(seq(f, 'SegmentIdentificationSequence')[0], 'ReferencedSegmentNumber'));
    const segment = plan.labelmap ? null : (plan.segments[number - 1] ?? fail(`frame ${n + 1} names segment ${number}`));
    // The slice a frame covers, from its position alone: the reference is checked against it.
    const position = many(seq(f, 'PlanePositionSequence')[0], 'ImagePositionPatient').map(Number);
    const along = [0, 1, 2].reduce((sum, a) => sum + ((position[a] ?? NaN) - v.origin[a]!) * geometry.normal[a]!, 0) / v.spacing[2];
    const k = Math.round(along);
    const onSlice = geometry.position(k);
    if (!(k >= 0 && k < nk) || [0, 1, 2].some((a) => !(Math.abs((position[a] ?? NaN) - onSlice[a]!) <= 1e-3))) {
      fail(`frame ${n + 1} lies at ${JSON.stringify(position)}, on no slice of the source`);
    }
    const source = seq(seq(f, 'DerivationImageSequence')[0], 'SourceImageSequence')[0];
    expect(
      `frame ${n + 1}'s source image`,
      [one(source, 'ReferencedSOPClassUID'), one(source, 'ReferencedSOPInstanceUID'), one(source, 'ReferencedFrameNumber') ?? null],
      [plan.dicom.sopClassUIDs[k], plan.dicom.sopInstanceUIDs[k], plan.dicom.frameNumbers[k]],
    );
    const base = k * sliceSize;
    if (!segment) {
      // LABELMAP: each pixel names its segment; a slice appears once.
      for (let p = 0; p < sliceSize; p++) {
        const s = bits[n * sliceSize + p]!;
        if (s === 0) continue;
        if (rebuilt[base + p] !== 0) fail(`voxel ${base + p} is in two frames`);
        rebuilt[base + p] = (plan.segments[s - 1] ?? fail(`frame ${n + 1} holds segment number ${s}`)).segment.labelValue;
      }
      continue;
    }
    const value = segment.segment.labelValue;
    for (let p = 0, bit = n * sliceSize; p < sliceSize; p++, bit++) {
      if ((bits[bit >>> 3]! & (1 << (bit & 7))) === 0) continue;
      if (rebuilt[base + p] !== 0) fail(`voxel ${base + p} is in two segments`);
      rebuilt[base + p] = value;
    }
  }
  let labelled = 0;
  for (let i = 0; i < rebuilt.length; i++) {
    if (rebuilt[i] !== input.labels[i]) {
      const [x, y, z] = [i % ni, Math.floor(i / ni) % nj, Math.floor(i / sliceSize)];
      fail(`voxel (${x}, ${y}, ${z}) reads back as ${rebuilt[i]}, not ${input.labels[i]}`);
    }
    if (rebuilt[i] !== 0) labelled++;
  }
  const n = plan.segments.length;
  return `${n} segment${n === 1 ? '' : 's'}, ${grouped(labelled)} labelled voxels in ${plan.frames.length} frames read back identical; segment labels, colours, codes and each frame's source slice as written`;
}

/** sRGB (0..255) to DICOM's scaled CIELab (L 0..100, a and b -128..127, each mapped onto 0..65535). */
export function dicomCielab(rgb: readonly [number, number, number]): [number, number, number] {
  // sRGB to CIE XYZ (IEC 61966-2-1), then to L*a*b* against D65 white, as DCMTK, dcmqi and dcmjs
  // do, so viewers built on them show the colour we meant.
  const lin = rgb.map((c) => {
    const x = c / 255;
    return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const [r, g, b] = lin;
  const X = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  const Y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const Z = 0.0193339 * r + 0.119192 * g + 0.9503041 * b;
  const f = (t: number): number => (t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29);
  const [fx, fy, fz] = [f(X / 0.95047), f(Y), f(Z / 1.08883)];
  const L = 116 * fy - 16;
  const a = 500 * (fx - fy);
  const bb = 200 * (fy - fz);
  const scale = (x: number, lo: number, hi: number): number => Math.min(65535, Math.max(0, Math.round(((x - lo) / (hi - lo)) * 65535)));
  return [scale(L, 0, 100), scale(a, -128, 127), scale(bb, -128, 127)];
}

/** A fresh UID: a random UUID as a decimal integer under 2.25 (ISO/IEC 9834-8). */
function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`).toString()}`;
}

/** A name-based (version 5) UUID under 2.25: the same name always gives the same UID. */
function derivedUid(name: string): string {
  const h = createHash('sha1').update(Buffer.from(DERIVED_UID_NAMESPACE.replaceAll('-', ''), 'hex')).update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${h.subarray(0, 16).toString('hex')}`).toString()}`;
}

/**
 * A DS value in at most 16 characters: exact when it fits (0.9765625), else with the most decimals
 * that fit; 10 decimals at most, which drops floating-point noise and no real precision.
 */
function decimal(x: number): string {
  for (let digits = 10; digits >= 0; digits--) {
    const s = String(Number(x.toFixed(digits)) + 0); // + 0 turns -0 into 0
    if (s.length <= 16) return s;
  }
  return x.toExponential(6);
}

/** An LO value: at most 64 characters, no backslash (the value separator) or control characters. */
function lo(s: string): string {
  return s.replace(/[\\\p{Cc}]/gu, ' ').trim().slice(0, 64);
}

const pad = (n: number): string => String(n).padStart(2, '0');
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** dcmjs gives single values bare and several as arrays; these read either. */
function many(ds: NaturalDataset | undefined, key: string): unknown[] {
  const x = ds?.[key];
  return x === undefined || x === null ? [] : Array.isArray(x) ? (x as unknown[]) : [x];
}
function one(ds: NaturalDataset | undefined, key: string): unknown {
  return many(ds, key)[0];
}
function seq(ds: NaturalDataset | undefined, key: string): NaturalDataset[] {
  return many(ds, key).filter((x): x is NaturalDataset => typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !(x instanceof ArrayBuffer));
}
