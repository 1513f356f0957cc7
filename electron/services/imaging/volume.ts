/**
 * A volume as main holds it: voxels in their source type plus geometry in LPS. Readers of
 * every format produce this; nothing downstream knows which format it came from.
 */
import type { VolumeMeta, VoxelArray, VoxelType } from '../../../common/contract/volume.js';
import type { Mat3, Vec3 } from '../../../common/geometry.js';

export type { Mat3, Vec3 };


export interface Geometry {
  readonly dims: Vec3;
  readonly spacing: Vec3;
  readonly origin: Vec3;
  readonly direction: Mat3;
}

/**
 * The DICOM identity of a volume read from a series: what a derived object (DICOM SEG) must
 * reference or copy. UIDs and attributes are as the files give them, blank when anonymised.
 */
export interface DicomIdentity {
  readonly seriesInstanceUID: string;
  readonly studyInstanceUID: string;
  readonly frameOfReferenceUID: string;
  /** SOP Instance UID of each slice, in k order (repeated for frames of one multi-frame file). */
  readonly sopInstanceUIDs: readonly string[];
  /** SOP Class UID of each slice, in k order. */
  readonly sopClassUIDs: readonly string[];
  /** 1-based frame number of each slice inside a multi-frame file; null for single-frame files. */
  readonly frameNumbers: readonly (number | null)[];
  /** Patient module of the first slice (Patient's Name as its alphabetic component). */
  readonly patient: { readonly name: string; readonly id: string; readonly birthDate: string; readonly sex: string };
  /** General Study module of the first slice. */
  readonly study: {
    readonly date: string;
    readonly time: string;
    readonly id: string;
    readonly accessionNumber: string;
    readonly referringPhysicianName: string;
    readonly description: string;
  };
}

export interface Volume extends Geometry {
  readonly name: string;
  readonly modality?: string;
  readonly voxelType: VoxelType;
  readonly voxels: VoxelArray;
  /** Present only for volumes read from DICOM. */
  readonly dicom?: DicomIdentity;
  /** What the reader found and tolerated (irregularities, assumptions), for the user. */
  readonly warnings?: readonly string[];
  /** The voxels' value range when the reader measured it while writing them (saves a pass). */
  readonly valueRange?: { readonly min: number; readonly max: number };
}

type VoxelCtor = new (n: number | ArrayBuffer) => VoxelArray;

/** Each voxel type's array constructor, its bytes per voxel and the values it holds exactly. */
export const VOXEL_TYPES: Readonly<Record<VoxelType, { ctor: VoxelCtor; bytes: number; min: number; max: number }>> = {
  uint8: { ctor: Uint8Array, bytes: 1, min: 0, max: 255 },
  int8: { ctor: Int8Array, bytes: 1, min: -128, max: 127 },
  uint16: { ctor: Uint16Array, bytes: 2, min: 0, max: 65535 },
  int16: { ctor: Int16Array, bytes: 2, min: -32768, max: 32767 },
  uint32: { ctor: Uint32Array, bytes: 4, min: 0, max: 4294967295 },
  int32: { ctor: Int32Array, bytes: 4, min: -2147483648, max: 2147483647 },
  float32: { ctor: Float32Array, bytes: 4, min: -Infinity, max: Infinity },
  float64: { ctor: Float64Array, bytes: 8, min: -Infinity, max: Infinity },
};

export function voxelTypeOf(a: VoxelArray): VoxelType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

/** Smallest and largest finite value (NaN voxels are ignored). */
export function valueRange(a: VoxelArray): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return a.length === 0 ? { min: 0, max: 0 } : { min, max };
}

export function describeVolume(volumeId: string, v: Volume): VolumeMeta {
  const { min, max } = v.valueRange ?? valueRange(v.voxels);
  return {
    volumeId,
    name: v.name,
    dims: [...v.dims],
    spacing: [...v.spacing],
    origin: [...v.origin],
    direction: [...v.direction],
    ...(v.modality === undefined ? {} : { modality: v.modality }),
    voxelType: v.voxelType,
    min,
    max,
    // Only what the contract exposes: patient data and per-slice classes stay in main.
    ...(v.dicom === undefined
      ? {}
      : {
          seriesInstanceUID: v.dicom.seriesInstanceUID,
          studyInstanceUID: v.dicom.studyInstanceUID,
          frameOfReferenceUID: v.dicom.frameOfReferenceUID,
          sopInstanceUIDs: [...v.dicom.sopInstanceUIDs],
        }),
    ...(v.warnings === undefined || v.warnings.length === 0 ? {} : { warnings: [...v.warnings] }),
  };
}

/**
 * The volume with its voxels in a SharedArrayBuffer (itself when they are already): worker
 * threads then read them in place instead of receiving a structured-clone copy per message.
 */
export function inSharedMemory<V extends { readonly voxels: VoxelArray }>(v: V): V {
  if (v.voxels.buffer instanceof SharedArrayBuffer) return v;
  const bytes = new SharedArrayBuffer(v.voxels.byteLength);
  new Uint8Array(bytes).set(new Uint8Array(v.voxels.buffer, v.voxels.byteOffset, v.voxels.byteLength));
  const Ctor = v.voxels.constructor as new (b: SharedArrayBuffer) => VoxelArray;
  return { ...v, voxels: new Ctor(bytes) };
}
