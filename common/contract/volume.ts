/**
 * The geometry and value summary of an opened volume, as every consumer (renderer, CLI, tests)
 * sees it. Coordinates are in the DICOM patient frame (LPS, millimetres), whatever the file's
 * own convention was: readers convert on load so nothing downstream ever sees RAS.
 */
import { z } from 'zod';

const vec3 = z.tuple([z.number(), z.number(), z.number()]);

/** Voxel element types we keep as read (no silent widening). */
export const VoxelType = z.enum(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64']);
export type VoxelType = z.infer<typeof VoxelType>;

export const VolumeMeta = z.object({
  /** Session-scoped id of the opened volume; pass it back to fetch voxels. */
  volumeId: z.string(),
  /** File or series name for display. */
  name: z.string(),
  /** Voxel counts along i, j, k (i fastest in memory). */
  dims: vec3,
  /** Voxel size along i, j, k in mm. */
  spacing: vec3,
  /** Patient position (LPS, mm) of the centre of voxel (0,0,0). */
  origin: vec3,
  /** 3×3 row-major; its columns are the LPS unit vectors of the i, j, k axes (ITK convention). */
  direction: z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]),
  /** DICOM modality (CT, MR, …) when the source says it. */
  modality: z.string().optional(),
  voxelType: VoxelType,
  /** Smallest and largest voxel value after any rescale. */
  min: z.number(),
  max: z.number(),
  /** DICOM only: the series the volume was read from. */
  seriesInstanceUID: z.string().optional(),
  /** DICOM only. */
  studyInstanceUID: z.string().optional(),
  /** DICOM only: the patient frame the geometry is in; a DICOM SEG must reference it. */
  frameOfReferenceUID: z.string().optional(),
  /** DICOM only: SOP Instance UID of each slice in k order (length dims[2]). */
  sopInstanceUIDs: z.array(z.string()).optional(),
  /** What the reader found and tolerated (irregular spacing, split series, assumptions). */
  warnings: z.array(z.string()).optional(),
});
export type VolumeMeta = z.infer<typeof VolumeMeta>;

/** The voxel arrays a volume may carry; the element type matches `VolumeMeta.voxelType`. */
export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;
