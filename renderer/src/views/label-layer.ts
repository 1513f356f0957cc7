/**
 * The label overlay of a slice view: the label volume as a second image slice in the same patient
 * space, coloured per class from the model card (or label schema) through a lookup table, drawn
 * just in front of the image. Labels are edited in place; `refresh()` re-uploads the slice.
 */
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import type { VolumeMeta } from '../../../electron/contract/volume';
import type { Vec3 } from '../lib/orientation';

export interface LabelClass {
  readonly index: number;
  readonly name: string;
  readonly color: readonly [number, number, number];
}

export interface LabelStyle {
  readonly classes: readonly LabelClass[];
  /** 0..1, applied to every visible class. */
  readonly opacity: number;
  readonly hidden: ReadonlySet<number>;
}

export interface LabelLayer {
  readonly actor: ReturnType<typeof vtkImageSlice.newInstance>;
  setSlice(slice: number): void;
  setStyle(style: LabelStyle): void;
  /** The label array changed in place. */
  refresh(): void;
  delete(): void;
}

export function createLabelLayer(meta: VolumeMeta, labels: Uint8Array, sliceAxis: 0 | 1 | 2, towardCamera: Vec3): LabelLayer {
  const image = vtkImageData.newInstance({ spacing: meta.spacing, origin: meta.origin, direction: meta.direction });
  image.setDimensions(meta.dims);
  const scalars = vtkDataArray.newInstance({ name: 'labels', numberOfComponents: 1, values: labels });
  image.getPointData().setScalars(scalars);
  const mapper = vtkImageMapper.newInstance();
  mapper.setInputData(image);
  mapper.setSlicingMode(sliceAxis);
  const actor = vtkImageSlice.newInstance();
  actor.setMapper(mapper);
  // A fraction of a voxel in front of the image, so the two slices never depth-fight.
  const lift = Math.min(...meta.spacing) * 0.05;
  actor.setPosition(towardCamera[0] * lift, towardCamera[1] * lift, towardCamera[2] * lift);
  const property = actor.getProperty();
  property.setInterpolationTypeToNearest();
  property.setUseLookupTableScalarRange(true);
  const colors = vtkColorTransferFunction.newInstance();
  const opacity = vtkPiecewiseFunction.newInstance();
  property.setRGBTransferFunction(0, colors);
  property.setPiecewiseFunction(0, opacity);

  return {
    actor,
    setSlice: (s) => mapper.setSlice(s),
    setStyle(style) {
      colors.removeAllPoints();
      opacity.removeAllPoints();
      const last = Math.max(1, ...style.classes.map((c) => c.index));
      // Steps, not ramps: each integer label gets exactly its class colour.
      for (let v = 0; v <= last; v++) {
        const c = style.classes.find((k) => k.index === v);
        const [r, g, b] = c?.color ?? [255, 0, 255];
        colors.addRGBPoint(v, r / 255, g / 255, b / 255);
        opacity.addPoint(v, v === 0 || style.hidden.has(v) ? 0 : style.opacity);
      }
      colors.setMappingRange(0, last);
      colors.updateRange();
      actor.getProperty().modified();
    },
    refresh() {
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
