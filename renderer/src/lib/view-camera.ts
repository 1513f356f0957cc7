/**
 * The camera of a slice view as plain numbers: a parallel projection that fits the volume's
 * in-plane extent at zoom 1, then zooms and pans (pan in millimetres along the screen's right
 * and up). The same model maps patient points to screen pixels for the overlays (crosshair,
 * scale bar), so what is drawn over the image matches the camera vtk.js is given.
 * Sizes below one pixel are treated as one; zoom is clamped to [MIN_ZOOM, MAX_ZOOM].
 */
import type { VolumeMeta } from '../../../common/contract/volume';
import type { Vec3, ViewGeometry } from './orientation';
import { indexToPatient } from '../../../common/geometry';

export const MIN_ZOOM = 0.25;
export const MAX_ZOOM = 32;

/** The volume as one view sees it: its centre and in-plane half extents, in mm. */
export interface ViewFrame {
  readonly center: Vec3;
  /** Unit vectors (LPS) of the screen's right and up, and the direction of projection. */
  readonly right: Vec3;
  readonly up: Vec3;
  readonly normal: Vec3;
  readonly halfWidth: number;
  readonly halfHeight: number;
}

/** Per-view zoom (1 = fit) and pan (mm along the screen's right and up). */
export interface ZoomPan {
  readonly zoom: number;
  readonly pan: readonly [number, number];
}

export const FIT: ZoomPan = { zoom: 1, pan: [0, 0] };

export interface ViewCamera {
  readonly focal: Vec3;
  /** Half the view's height in mm (vtk.js parallel scale). */
  readonly parallelScale: number;
  readonly mmPerPx: number;
  /** View size in CSS pixels. */
  readonly width: number;
  readonly height: number;
  readonly right: Vec3;
  readonly up: Vec3;
}

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const clampZoom = (z: number): number => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));

export function viewFrame(meta: Pick<VolumeMeta, 'dims' | 'spacing' | 'origin' | 'direction'>, geometry: ViewGeometry): ViewFrame {
  const up = geometry.viewUp;
  const normal = geometry.directionOfProjection;
  const right = cross(normal, up);
  const [nx, ny, nz] = meta.dims;
  const center = indexToPatient(meta, [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2]);
  let halfWidth = 0;
  let halfHeight = 0;
  // Voxel corners, not centres: the image covers half a voxel beyond the outer centres.
  for (const i of [-0.5, nx - 0.5])
    for (const j of [-0.5, ny - 0.5])
      for (const k of [-0.5, nz - 0.5]) {
        const p = indexToPatient(meta, [i, j, k]);
        const d: Vec3 = [p[0] - center[0], p[1] - center[1], p[2] - center[2]];
        halfWidth = Math.max(halfWidth, Math.abs(dot(d, right)));
        halfHeight = Math.max(halfHeight, Math.abs(dot(d, up)));
      }
  return { center, right, up, normal, halfWidth, halfHeight };
}

/** The camera for a view of `width` × `height` CSS pixels; `margin` leaves a border at zoom 1. */
export function viewCamera(frame: ViewFrame, width: number, height: number, zp: ZoomPan, margin = 1.05): ViewCamera {
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  const fit = Math.max(frame.halfHeight, (frame.halfWidth * h) / w, 1e-6) * margin;
  const parallelScale = fit / clampZoom(zp.zoom);
  const [a, b] = zp.pan;
  const { center: c, right: r, up: u } = frame;
  return {
    focal: [c[0] + r[0] * a + u[0] * b, c[1] + r[1] * a + u[1] * b, c[2] + r[2] * a + u[2] * b],
    parallelScale,
    mmPerPx: (2 * parallelScale) / h,
    width: w,
    height: h,
    right: r,
    up: u,
  };
}

/** Screen position (CSS pixels from the view's top-left) of a patient point. */
export function worldToScreen(cam: ViewCamera, p: Vec3): [number, number] {
  const d: Vec3 = [p[0] - cam.focal[0], p[1] - cam.focal[1], p[2] - cam.focal[2]];
  return [cam.width / 2 + dot(d, cam.right) / cam.mmPerPx, cam.height / 2 - dot(d, cam.up) / cam.mmPerPx];
}

/** The patient point under a screen position, on the plane through the focal point. */
export function screenToWorld(cam: ViewCamera, x: number, y: number): Vec3 {
  const a = (x - cam.width / 2) * cam.mmPerPx;
  const b = (cam.height / 2 - y) * cam.mmPerPx;
  const { focal: f, right: r, up: u } = cam;
  return [f[0] + r[0] * a + u[0] * b, f[1] + r[1] * a + u[1] * b, f[2] + r[2] * a + u[2] * b];
}

/**
 * Zoom by `factor` keeping the point under the pointer where it is; `offsetPx` is the pointer's
 * offset from the view centre (screen pixels, y down) and `mmPerPx` the scale before zooming.
 */
export function zoomAt(zp: ZoomPan, factor: number, offsetPx: readonly [number, number], mmPerPx: number): ZoomPan {
  const zoom = clampZoom(zp.zoom * factor);
  const keep = 1 - zp.zoom / zoom;
  return { zoom, pan: [zp.pan[0] + offsetPx[0] * mmPerPx * keep, zp.pan[1] - offsetPx[1] * mmPerPx * keep] };
}

/** Drag the image by (dx, dy) screen pixels: it follows the pointer. */
export function panBy(zp: ZoomPan, dx: number, dy: number, mmPerPx: number): ZoomPan {
  return { zoom: zp.zoom, pan: [zp.pan[0] - dx * mmPerPx, zp.pan[1] + dy * mmPerPx] };
}
