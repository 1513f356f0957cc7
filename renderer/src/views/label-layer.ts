/**
 * The label overlay of a slice view: the shown slice of the label volume in the same patient
 * space, coloured per class from the model card (or label schema) through a 256-entry table
 * (lib/label-style). The slice is copied out of the label volume on every change (fill), or
 * reduced to each class's boundary pixels (outline) or hatched, so every mode draws the same way.
 * Labels are edited in place; `refresh()` re-reads the slice when a write changed it (a sagittal
 * slice of a 512×512×300 volume is a strided read of 150 k voxels: several milliseconds that a
 * brush dab elsewhere must not cost).
 *
 * Drawn in the image's own pass (`{ host }`: image-mapper's fuseLabels, one pass over the view
 * instead of two), or as an image of its own lifted towards the camera (`{ lift }`: the overlays
 * drawn over the labels, which exist only while shown).
 */
import type vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import type vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import type { VolumeMeta } from '../../../common/contract/volume';
import type { LabelVolume } from '../lib/label-volume';
import type { Vec3, VoxelAxis } from '../lib/orientation';
import { extractSlice, hatch, outline, slicePlane, type LabelMode } from '../lib/label-slice';
import { labelTable, lastClass, type LabelStyle } from '../lib/label-style';
import { fuseLabels, type FusedLabels } from './image-mapper';
import { createSliceImage } from './slice-image';

export type { LabelClass, LabelStyle } from '../lib/label-style';

export interface LabelLayer {
  /** Its own image, for the renderer; null when the labels are drawn in the host image's pass. */
  readonly actor: ReturnType<typeof vtkImageSlice.newInstance> | null;
  setSlice(slice: number): void;
  setStyle(style: LabelStyle): void;
  /** The labels changed in place; true when the shown slice changed (it needs a render). */
  refresh(): boolean;
  delete(): void;
}

/** Where a label layer draws: in `host`'s pass (the image's mapper), or lifted by `lift` (createSliceImage). */
export type LabelTarget = { readonly host: ReturnType<typeof vtkImageMapper.newInstance> } | { readonly lift: Vec3 };

/** What the layer draws through: the slice it writes, its table, and where it is. */
interface Drawing {
  readonly actor: ReturnType<typeof vtkImageSlice.newInstance> | null;
  readonly slice: Uint8Array;
  place(s: number): void;
  /** `slice` was written. */
  changed(): void;
  /** 256 RGBA entries (labelTable); `last`: the highest class index the style names (lastClass). */
  setTable(table: Uint8Array, last: number): void;
  delete(): void;
}

function fusedDrawing(meta: VolumeMeta, sliceAxis: VoxelAxis, host: ReturnType<typeof vtkImageMapper.newInstance>): Drawing {
  const { width, height } = slicePlane(meta.dims, sliceAxis);
  const labels: FusedLabels = { slice: new Uint8Array(width * height), width, height, lut: new Uint8Array(256 * 4), sliceVersion: 0, lutVersion: 0 };
  fuseLabels(host, labels);
  return {
    actor: null,
    slice: labels.slice,
    // The host mapper shows the slice: the labels follow it.
    place: () => {},
    changed: () => void labels.sliceVersion++,
    setTable(table) {
      labels.lut.set(table);
      labels.lutVersion++;
    },
    delete: () => fuseLabels(host, null),
  };
}

function ownDrawing(meta: VolumeMeta, sliceAxis: VoxelAxis, lift: Vec3): Drawing {
  const view = createSliceImage(meta, sliceAxis, lift, 'labels');
  const { colors, opacity } = view;
  return {
    actor: view.actor,
    slice: view.slice,
    place: (s) => {
      view.place(s);
      view.image.modified();
    },
    changed: () => view.changed(),
    setTable(table, last) {
      colors.removeAllPoints();
      opacity.removeAllPoints();
      // Steps, not ramps: each integer label gets exactly its class colour.
      for (let v = 0; v <= last; v++) {
        colors.addRGBPoint(v, table[4 * v]! / 255, table[4 * v + 1]! / 255, table[4 * v + 2]! / 255);
        opacity.addPoint(v, table[4 * v + 3]! / 255);
      }
      colors.setMappingRange(0, last);
      colors.updateRange();
      view.actor.getProperty().modified();
    },
    delete: () => view.delete(),
  };
}

export function createLabelLayer(meta: VolumeMeta, volume: LabelVolume, sliceAxis: VoxelAxis, target: LabelTarget): LabelLayer {
  const labels = volume.labels;
  const drawing = 'host' in target ? fusedDrawing(meta, sliceAxis, target.host) : ownDrawing(meta, sliceAxis, target.lift);
  const { slice } = drawing;
  const fresh = new Uint8Array(slice.length);
  const scratch = new Uint8Array(slice.length);
  const { width, height } = slicePlane(meta.dims, sliceAxis);

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
    drawing.changed();
    return true;
  };

  return {
    actor: drawing.actor,
    setSlice(s) {
      current = s;
      drawing.place(s);
      update();
    },
    setStyle(style) {
      drawing.setTable(labelTable(style), lastClass(style));
      const nextMode = style.mode ?? 'fill';
      if (nextMode !== mode) {
        mode = nextMode;
        update();
      }
    },
    refresh: () => volume.changedSince(sliceAxis, current, read) && update(),
    delete: () => drawing.delete(),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
