/**
 * The label overlay of a slice view: the shown slice of the label volume as a 2D image in the
 * same patient space, coloured per class from the model card (or label schema) through a lookup
 * table, drawn just in front of the image. The slice is copied out of the label volume on every
 * change (fill), or reduced to each class's boundary pixels (outline), so both modes draw the
 * same way. Labels are edited in place; `refresh()` re-reads the slice when a write changed it
 * (a sagittal slice of a 512×512×300 volume is a strided read of 150 k voxels: several
 * milliseconds that a brush dab elsewhere must not cost).
 */
import type vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import type { VolumeMeta } from '../../../common/contract/volume';
import type { LabelVolume } from '../lib/label-volume';
import type { Vec3, VoxelAxis } from '../lib/orientation';
import { extractSlice, hatch, outline, type LabelMode } from '../lib/label-slice';
import { labelAlpha, type LabelStyle } from '../lib/label-style';
import { createSliceImage } from './slice-image';

export type { LabelClass, LabelStyle } from '../lib/label-style';

export interface LabelLayer {
  readonly actor: ReturnType<typeof vtkImageSlice.newInstance>;
  setSlice(slice: number): void;
  setStyle(style: LabelStyle): void;
  /** The labels changed in place; true when the shown slice changed (it needs a render). */
  refresh(): boolean;
  delete(): void;
}

export function createLabelLayer(meta: VolumeMeta, volume: LabelVolume, sliceAxis: VoxelAxis, towardCamera: Vec3): LabelLayer {
  const labels = volume.labels;
  // Just in front of the image (a twentieth of a voxel), so the two slices never depth-fight.
  const view = createSliceImage(meta, sliceAxis, towardCamera, 'labels');
  const { actor, colors, opacity, slice, width, height } = view;
  const fresh = new Uint8Array(width * height);
  const scratch = new Uint8Array(width * height);

  let current = 0;
  let mode: LabelMode = 'fill';
  /** The volume's clock when the slice was last read. */
  let read = 0;
  /** Re-read the slice; only a slice that really changed is uploaded again. */
  const update = (): boolean => {
    read = volume.clock;
    if (mode !== 'fill') {
      extractSlice(labels, meta.dims, sliceAxis, current, scratch);
      if (mode === 'outline') outline(scratch, width, height, fresh);
      else hatch(scratch, width, height, fresh, mode === 'backhatch');
    } else extractSlice(labels, meta.dims, sliceAxis, current, fresh);
    if (sameBytes(fresh, slice)) return false;
    slice.set(fresh);
    view.changed();
    return true;
  };

  return {
    actor,
    setSlice(s) {
      current = s;
      view.place(s);
      update();
      view.image.modified();
    },
    setStyle(style) {
      colors.removeAllPoints();
      opacity.removeAllPoints();
      const last = Math.max(1, ...style.classes.map((c) => c.index));
      // Steps, not ramps: each integer label gets exactly its class colour.
      for (let v = 0; v <= last; v++) {
        const c = style.classes.find((k) => k.index === v);
        const [r, g, b] = c?.color ?? [255, 0, 255];
        colors.addRGBPoint(v, r / 255, g / 255, b / 255);
        opacity.addPoint(v, labelAlpha(style, v));
      }
      colors.setMappingRange(0, last);
      colors.updateRange();
      actor.getProperty().modified();
      const nextMode = style.mode ?? 'fill';
      if (nextMode !== mode) {
        mode = nextMode;
        update();
      }
    },
    refresh: () => volume.changedSince(sliceAxis, current, read) && update(),
    delete: () => view.delete(),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
