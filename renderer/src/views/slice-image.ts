/**
 * One slice of a per-voxel byte volume (labels, human-edit marks, uncertainty) as a 2D vtk image
 * in patient space, drawn in front of the CT slice through a colour and an opacity function: the
 * set-up the label layer and the overlays share. The caller fills `slice` and fills the two
 * functions; `place` moves the image to slice s of the volume.
 */
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import type { VolumeMeta } from '../../../common/contract/volume';
import { indexToPatient } from '../../../common/geometry';
import { slicePlane } from '../lib/label-slice';
import type { Vec3, VoxelAxis } from '../lib/orientation';
import { patientImage } from './patient-image';

export interface SliceImage {
  readonly actor: ReturnType<typeof vtkImageSlice.newInstance>;
  readonly image: ReturnType<typeof patientImage>;
  readonly colors: ReturnType<typeof vtkColorTransferFunction.newInstance>;
  readonly opacity: ReturnType<typeof vtkPiecewiseFunction.newInstance>;
  /** The shown slice's bytes (width × height), read by the image: call `changed()` after writing. */
  readonly slice: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Put the image where slice s of the volume is. */
  place(s: number): void;
  /** `slice` was written. */
  changed(): void;
  delete(): void;
}

/**
 * `lift`: towards the camera, in units of a twentieth of the smallest voxel spacing, so layers
 * stacked at different lifts never depth-fight with the image or each other.
 */
export function createSliceImage(meta: VolumeMeta, sliceAxis: VoxelAxis, lift: Vec3, scalarsName: string): SliceImage {
  const { width, height } = slicePlane(meta.dims, sliceAxis);
  const dims: [number, number, number] = [...meta.dims];
  dims[sliceAxis] = 1;
  const slice = new Uint8Array(width * height);
  const image = patientImage(meta, dims, slice, scalarsName);
  const scalars = image.getPointData().getScalars();
  const mapper = vtkImageMapper.newInstance();
  mapper.setInputData(image);
  mapper.setSlicingMode(sliceAxis);
  mapper.setSlice(0);
  const actor = vtkImageSlice.newInstance();
  actor.setMapper(mapper);
  const step = Math.min(...meta.spacing) * 0.05;
  actor.setPosition(lift[0] * step, lift[1] * step, lift[2] * step);
  const property = actor.getProperty();
  // Nearest: one value per voxel, as the labels.
  property.setInterpolationTypeToNearest();
  property.setUseLookupTableScalarRange(true);
  const colors = vtkColorTransferFunction.newInstance();
  const opacity = vtkPiecewiseFunction.newInstance();
  property.setRGBTransferFunction(0, colors);
  property.setPiecewiseFunction(0, opacity);
  return {
    actor,
    image,
    colors,
    opacity,
    slice,
    width,
    height,
    place(s) {
      const at: [number, number, number] = [0, 0, 0];
      at[sliceAxis] = s;
      image.setOrigin([...indexToPatient(meta, at)]);
    },
    changed() {
      scalars.modified();
      image.modified();
    },
    delete() {
      actor.delete();
      mapper.delete();
      image.delete();
      colors.delete();
      opacity.delete();
    },
  };
}
