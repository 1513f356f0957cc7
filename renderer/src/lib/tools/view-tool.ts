/**
 * A slice view's pointer tools as objects (cornerstone3D's tool dispatch): the view works out
 * what lies under the pointer once per event (a `ViewPointer`) and hands it to the tool the press
 * selects; the tool does its work through the editor, viewer or study it was made with, or
 * through the view's own camera (`ViewCameraControl`), and the view knows nothing about any tool.
 * A press may start a drag (`ToolDrag`: the moves until the button is released) or be a click.
 */
import type { Hover } from '../hover';
import type { Plane, Vec3, VoxelAxis } from '../orientation';
import type { ZoomPan } from '../view-camera';
import type { Uv } from '../label-tools';

/** The per-view camera a tool may move (zoom and pan are each view's own). */
export interface ViewCameraControl {
  readonly zoomPan: ZoomPan;
  readonly mmPerPx: number;
  setZoomPan(zp: ZoomPan): void;
}

/** What is under the pointer in one slice view, worked out once per pointer event. */
export interface ViewPointer {
  readonly plane: Plane;
  /** The voxel axis the view slices along, and the shown slice on it. */
  readonly sliceAxis: VoxelAxis;
  readonly slice: number;
  /** The voxel under the pointer, its position and intensity; null outside the volume. */
  readonly hover: Hover | null;
  /** Where the pointer's ray meets the shown slice plane (patient mm), inside the volume or not. */
  readonly world: Vec3 | null;
  /** The same point in continuous voxel coordinates (not rounded). */
  readonly index: Vec3 | null;
  /** Pointer position in CSS pixels (client coordinates) and its offset from the view's centre. */
  readonly x: number;
  readonly y: number;
  readonly offset: readonly [number, number];
  readonly camera: ViewCameraControl;
}

/** A drag under way: the pointer's moves until release (or cancel, or loss of capture). */
export interface ToolDrag {
  move(p: ViewPointer): void;
  end(): void;
}

export interface ViewTool {
  /** The view's CSS cursor while this tool is active. */
  readonly cursor: string;
  /** A press: a drag to follow, or null for a click (or a press the tool ignores). */
  press(p: ViewPointer): ToolDrag | null;
  /** A double-click; false lets the view do its own (fit the view). */
  doubleClick?(p: ViewPointer): boolean;
  /** The brush radius in mm whose footprint follows the pointer; null draws none. */
  readonly footprintMm?: number | null;
  /** The polygon being clicked on this view's slice, in (u, v) voxel coordinates; null draws none. */
  polygonOn?(plane: Plane, slice: number): readonly Uv[] | null;
}

/** A drag that only follows the pointer's moves. */
export function dragOf(move: (p: ViewPointer) => void, end: () => void = () => {}): ToolDrag {
  return { move, end };
}

/** Where a view finds its tools: the active one, and the one a press (button, modifiers) selects. */
export interface ToolSource {
  readonly active: ViewTool;
  forPress(press: { readonly button: number; readonly ctrlKey: boolean; readonly metaKey: boolean; readonly shiftKey: boolean }): ViewTool | null;
}
