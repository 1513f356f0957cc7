/**
 * Draws a slice view's annotations (lib/view-annotations) in the view's own WebGL frame, as
 * vtk.js draws its text actors (a textured vtkActor2D in the renderer's overlay pass): each
 * annotation is a small image (text with a dark halo on a faint backing, as the page's overlays
 * looked), the images are stacked in one texture, and one actor draws a quad per annotation,
 * placed on whole device pixels. One actor, not one each: vtk's per-actor work is ~0.15 ms of
 * JavaScript a frame. An image is drawn again only when its content changes; a new view size only
 * moves the quads. Page elements over the canvas would each be a composited layer blended into
 * every frame of the window; here they cost a few small quads in this view's frame.
 */
import '@kitware/vtk.js/Rendering/OpenGL/Actor2D';
import '@kitware/vtk.js/Rendering/OpenGL/PolyDataMapper2D';
import '@kitware/vtk.js/Rendering/OpenGL/Texture';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkActor2D from '@kitware/vtk.js/Rendering/Core/Actor2D';
import vtkMapper2D from '@kitware/vtk.js/Rendering/Core/Mapper2D';
import { DisplayLocation } from '@kitware/vtk.js/Rendering/Core/Property2D/Constants';
import type vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkTexture from '@kitware/vtk.js/Rendering/Core/Texture';
import { placeAnnotation, sameAnnotation, type Annotation } from '../lib/view-annotations';

/** The view in CSS pixels, the device pixel ratio, and the canvas height in device pixels. */
export interface AnnotationViewport {
  readonly w: number;
  readonly h: number;
  readonly dpr: number;
  readonly deviceH: number;
}

export interface AnnotationLayer {
  /** Show these annotations (others go); true when the view needs a new frame. */
  update(items: ReadonlyMap<string, Annotation>, viewport: AnnotationViewport): boolean;
  delete(): void;
}

const FONT_PX = 12;
/** Box of one line (CSS px), and the backing's side padding: as the page's overlays measured. */
const LINE_PX = 17;
const PAD_PX = 3;
/** The scale bar's height (with its 1 px outline) and its gap to the text. */
const BAR_PX = 4;
const BAR_GAP_PX = 2;
const BACKING = 'rgb(0 0 0 / 35%)';
/** A dark halo legible over bright bone and grey soft tissue alike (blur, x, y in CSS px). */
const HALO: readonly (readonly [number, number, number])[] = [
  [2, 0, 0],
  [3, 0, 0],
  [1, 1, 1],
];

interface Item {
  annotation: Annotation;
  /** Size in CSS pixels and in device pixels (the image's). */
  w: number;
  h: number;
  deviceW: number;
  deviceH: number;
  /** The image, RGBA rows top-down, deviceW × deviceH. */
  pixels: Uint8ClampedArray;
}

export function createAnnotationLayer(renderer: vtkRenderer, fontFamily: string): AnnotationLayer {
  const items = new Map<string, Item>();
  const canvas = new OffscreenCanvas(1, 1);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let dpr = 1;

  // The atlas (every image stacked, rows bottom-up as vtk images are) and the quads that show it.
  const atlas = vtkImageData.newInstance();
  // Resizable: a new text (a status appended) makes a new atlas size in the same texture.
  const texture = vtkTexture.newInstance({ interpolate: false, resizable: true }) as ReturnType<typeof vtkTexture.newInstance> & {
    /** Typed as an algorithm, but a vtk object like the others. */
    modified(): void;
    delete(): void;
  };
  texture.setInputData(atlas, 0);
  const quads = vtkPolyData.newInstance();
  const mapper = vtkMapper2D.newInstance();
  mapper.setInputData(quads);
  const actor = vtkActor2D.newInstance();
  actor.setMapper(mapper);
  actor.addTexture(texture);
  actor.getProperty().setDisplayLocation(DisplayLocation.FOREGROUND);
  renderer.addActor2D(actor);
  /** Each item's first row in the atlas (from the bottom), and the atlas size. */
  let rows = new Map<string, number>();
  let atlasW = 1;
  let atlasH = 1;
  /** The quads last sent (device pixels), to skip an unchanged layout. */
  let placed = '';

  const font = (a: Annotation): string => `${a.bold ? 600 : 400} ${FONT_PX}px ${fontFamily}`;

  /** Draw an annotation's image. */
  function paint(a: Annotation): Item {
    const item: Item = { annotation: a, w: 1, h: 1, deviceW: 1, deviceH: 1, pixels: new Uint8ClampedArray(4) };
    if (!ctx) return item;
    ctx.font = font(a);
    const widths = a.runs.map((r) => ctx.measureText(r.text).width);
    const textW = widths.reduce((s, x) => s + x, 0);
    const bar = a.barPx ?? 0;
    item.w = Math.ceil(Math.max(textW, bar > 0 ? bar + 2 : 0) + 2 * PAD_PX);
    item.h = LINE_PX + (bar > 0 ? BAR_PX + BAR_GAP_PX : 0);
    item.deviceW = Math.max(1, Math.ceil(item.w * dpr));
    item.deviceH = Math.max(1, Math.ceil(item.h * dpr));
    canvas.width = item.deviceW;
    canvas.height = item.deviceH;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, item.w, item.h);
    ctx.fillStyle = BACKING;
    ctx.beginPath();
    ctx.roundRect(0, 0, item.w, item.h, 2);
    ctx.fill();
    if (bar > 0) {
      // A bracket: the two ends and the bottom edge, right-aligned with the text.
      const right = item.w - PAD_PX;
      const left = right - bar - 2;
      ctx.fillStyle = a.runs[0]?.color ?? '#fff';
      ctx.fillRect(left, 0, 1, BAR_PX);
      ctx.fillRect(right - 1, 0, 1, BAR_PX);
      ctx.fillRect(left, BAR_PX - 1, right - left, 1);
    }
    ctx.font = font(a);
    ctx.textBaseline = 'middle';
    const y = item.h - LINE_PX / 2;
    // Under a bar the text ends where the bar ends; otherwise the box is the text's own width.
    let x = bar > 0 ? item.w - PAD_PX - textW : PAD_PX;
    a.runs.forEach((r, n) => {
      ctx.fillStyle = r.color;
      ctx.shadowColor = '#000';
      for (const [blur, dx, dy] of HALO) {
        ctx.shadowBlur = blur * dpr;
        ctx.shadowOffsetX = dx * dpr;
        ctx.shadowOffsetY = dy * dpr;
        ctx.fillText(r.text, x, y);
      }
      ctx.shadowColor = 'transparent';
      x += widths[n]!;
    });
    item.pixels = ctx.getImageData(0, 0, item.deviceW, item.deviceH).data;
    return item;
  }

  /** Stack every image into the atlas (bottom-up rows) and upload it. */
  function pack(): void {
    atlasW = Math.max(1, ...[...items.values()].map((i) => i.deviceW));
    atlasH = Math.max(1, [...items.values()].reduce((s, i) => s + i.deviceH, 0));
    const data = new Uint8Array(atlasW * atlasH * 4);
    rows = new Map();
    let row = 0;
    for (const [id, item] of items) {
      rows.set(id, row);
      const stride = item.deviceW * 4;
      for (let r = 0; r < item.deviceH; r++) {
        // The image's top row goes highest: vtk images count rows from the bottom.
        data.set(item.pixels.subarray(r * stride, (r + 1) * stride), (row + item.deviceH - 1 - r) * atlasW * 4);
      }
      row += item.deviceH;
    }
    atlas.setDimensions(atlasW, atlasH, 1);
    atlas.getPointData().setScalars(vtkDataArray.newInstance({ numberOfComponents: 4, values: data }));
    atlas.modified();
    // The texture re-uploads when it is newer than its last upload; a changed input does not age it.
    texture.modified();
    placed = '';
  }

  /** A quad per annotation at its place (device pixels from the bottom left), showing its rows of the atlas. */
  function place(viewport: AnnotationViewport): boolean {
    const points: number[] = [];
    const tcoords: number[] = [];
    const polys: number[] = [];
    for (const [id, item] of items) {
      const [x, y] = placeAnnotation(item.annotation.anchor, item.w, item.h, viewport.w, viewport.h);
      // Whole device pixels, so the text is drawn texel for pixel; vtk counts from the bottom.
      const left = Math.round(x * dpr);
      const bottom = viewport.deviceH - Math.round(y * dpr) - item.deviceH;
      const n = points.length / 3;
      points.push(left, bottom, 0, left + item.deviceW, bottom, 0, left + item.deviceW, bottom + item.deviceH, 0, left, bottom + item.deviceH, 0);
      const [u1, v0] = [item.deviceW / atlasW, (rows.get(id) ?? 0) / atlasH];
      const v1 = v0 + item.deviceH / atlasH;
      tcoords.push(0, v0, u1, v0, u1, v1, 0, v1);
      polys.push(4, n, n + 1, n + 2, n + 3);
    }
    const key = `${points.join()}|${tcoords.join()}`;
    if (key === placed) return false;
    placed = key;
    quads.getPoints().setData(Float32Array.from(points), 3);
    quads.getPolys().setData(Uint32Array.from(polys));
    quads.getPointData().setTCoords(vtkDataArray.newInstance({ name: 'TCoords', numberOfComponents: 2, values: Float32Array.from(tcoords) }));
    quads.modified();
    return true;
  }

  return {
    update(next, viewport) {
      const rescaled = viewport.dpr !== dpr;
      dpr = viewport.dpr;
      let repaint = rescaled;
      for (const id of [...items.keys()]) {
        if (next.has(id)) continue;
        items.delete(id);
        repaint = true;
      }
      for (const [id, annotation] of next) {
        const item = items.get(id);
        if (item && !rescaled && sameAnnotation(item.annotation, annotation)) continue;
        items.set(id, paint(annotation));
        repaint = true;
      }
      if (repaint) pack();
      return place(viewport);
    },
    delete() {
      renderer.removeActor2D(actor);
      actor.delete();
      mapper.delete();
      quads.delete();
      texture.delete();
      atlas.delete();
      items.clear();
    },
  };
}
