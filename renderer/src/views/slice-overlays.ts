/**
 * The "model vs human" overlays of one slice view (issue 17), drawn over the labels and under a
 * tool's preview: the voxels a human changed apart from the model's proposal (backhatched with
 * their outline, magenta drawn, cyan erased: lib/edit-marks) and the last run's uncertainty as a
 * heat map (lib/heat-scale). Each is a 2D image of the shown slice in patient space, as the
 * label layer draws labels; the heat slice is re-read only when the slice or the map changes,
 * the marks only when an edit reached the shown slice.
 */
import type vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import type vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import type { VolumeMeta } from '../../../common/contract/volume';
import { EDIT_CLASSES } from '../lib/edit-marks';
import { HEAT_STOPS } from '../lib/heat-scale';
import { extractSlice } from '../lib/label-slice';
import type { LabelVolume } from '../lib/label-volume';
import type { Vec3, VoxelAxis } from '../lib/orientation';
import { createLabelLayer, type LabelLayer } from './label-layer';
import { createSliceImage } from './slice-image';

export interface OverlayState {
  readonly slice: number;
  /** Human-edit marks (null: none, or the overlay is off). */
  readonly edits: LabelVolume | null;
  /** Entropy ×255 per voxel (null: none, or the overlay is off). */
  readonly uncertainty: Uint8Array | null;
}

export interface SliceOverlays {
  /** Show this state; true when the view needs a new frame. */
  update(state: OverlayState): boolean;
  delete(): void;
}

/** In front of the image by these multiples of the label layer's lift: labels 1, heat, edits, preview 2. */
const HEAT_LIFT = 1.3;
const EDITS_LIFT = 1.6;

export function createSliceOverlays(renderer: vtkRenderer, meta: VolumeMeta, sliceAxis: VoxelAxis, towardCamera: Vec3): SliceOverlays {
  const lifted = (k: number): Vec3 => [towardCamera[0] * k, towardCamera[1] * k, towardCamera[2] * k];
  let edits: { volume: LabelVolume; layer: LabelLayer } | null = null;
  let heat: { values: Uint8Array; layer: HeatLayer } | null = null;
  let slice = -1;

  const dropEdits = (): void => {
    if (!edits) return;
    if (edits.layer.actor) renderer.removeViewProp(edits.layer.actor);
    edits.layer.delete();
    edits = null;
  };
  const dropHeat = (): void => {
    if (!heat) return;
    renderer.removeViewProp(heat.layer.actor);
    heat.layer.delete();
    heat = null;
  };

  return {
    update(state) {
      let changed = false;
      if (edits?.volume !== (state.edits ?? undefined)) {
        changed ||= edits !== null;
        dropEdits();
        if (state.edits) {
          const layer = createLabelLayer(meta, state.edits, sliceAxis, { lift: lifted(EDITS_LIFT) });
          layer.setStyle({ classes: EDIT_CLASSES, opacity: 1, hidden: new Set(), mode: 'backhatch' });
          layer.setSlice(state.slice);
          if (layer.actor) renderer.addViewProp(layer.actor);
          edits = { volume: state.edits, layer };
          changed = true;
        }
      }
      if (heat?.values !== (state.uncertainty ?? undefined)) {
        changed ||= heat !== null;
        dropHeat();
        if (state.uncertainty) {
          const layer = createHeatLayer(meta, state.uncertainty, sliceAxis, lifted(HEAT_LIFT));
          layer.setSlice(state.slice);
          renderer.addViewProp(layer.actor);
          heat = { values: state.uncertainty, layer };
          changed = true;
        }
      }
      if (state.slice !== slice) {
        slice = state.slice;
        edits?.layer.setSlice(slice);
        heat?.layer.setSlice(slice);
        changed = true;
      } else if (edits?.layer.refresh()) changed = true;
      return changed;
    },
    delete() {
      dropEdits();
      dropHeat();
    },
  };
}

interface HeatLayer {
  readonly actor: ReturnType<typeof vtkImageSlice.newInstance>;
  setSlice(slice: number): void;
  delete(): void;
}

/** One slice of a per-voxel byte map, coloured and faded through the heat scale. */
function createHeatLayer(meta: VolumeMeta, values: Uint8Array, sliceAxis: VoxelAxis, lift: Vec3): HeatLayer {
  const view = createSliceImage(meta, sliceAxis, lift, 'uncertainty');
  for (const s of HEAT_STOPS) {
    view.colors.addRGBPoint(s.at * 255, s.rgb[0] / 255, s.rgb[1] / 255, s.rgb[2] / 255);
    view.opacity.addPoint(s.at * 255, s.alpha);
  }
  view.colors.setMappingRange(0, 255);
  view.colors.updateRange();
  return {
    actor: view.actor,
    setSlice(s) {
      view.place(s);
      extractSlice(values, meta.dims, sliceAxis, s, view.slice);
      view.changed();
    },
    delete: () => view.delete(),
  };
}
