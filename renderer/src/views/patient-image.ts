/**
 * vtk image data placed in the patient frame (LPS, mm): the one place every view builds its
 * images, so the slice views, the label overlays and the 3D view cannot disagree on geometry.
 */
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import type { VolumeMeta, VoxelArray } from '../../../common/contract/volume';
import { vtkDirection } from '../lib/voxel-geometry';

export function patientImage(
  g: Pick<VolumeMeta, 'spacing' | 'origin' | 'direction'>,
  dims: readonly [number, number, number],
  values: VoxelArray,
  name: string,
): vtkImageData {
  const image = vtkImageData.newInstance({ spacing: g.spacing, origin: g.origin, direction: vtkDirection(g.direction) });
  image.setDimensions([...dims]);
  image.getPointData().setScalars(vtkDataArray.newInstance({ name, numberOfComponents: 1, values }));
  return image;
}
