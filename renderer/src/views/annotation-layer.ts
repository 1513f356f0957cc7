/**
 * Draws a slice view's annotations (lib/view-annotations) in the view's own WebGL frame, as
 * vtk.js draws its text actors: each annotation is a small image (text with a dark halo on a
 * faint backing, as the page's overlays looked) on a vtkActor2D quad in the renderer's overlay
 * pass, placed in device pixels. An image is drawn again only when its content changes; a new
 * view size only moves the quads. Page elements over the canvas would each be a composited layer
 * blended into every frame of the window; here they cost a few small quads in this view's frame.
 */
import '@kitware/vtk.js/Rendering/OpenGL/Actor2D';
import '@kitware/vtk.js/Rendering/OpenGL/PolyDataMapper2D';
import '@kitware/vtk.js/Rendering/OpenGL/Texture';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkPlaneSource from '@kitware/vtk.js/Filters/Sources/PlaneSource';
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
  readonly actor: ReturnType<typeof vtkActor2D.newInstance>;
  readonly plane: ReturnType<typeof vtkPlaneSource.newInstance>;
  /** The annotation's image (device pixels, RGBA), the texture's input. */
  readonly image: ReturnType<typeof vtkImageData.newInstance>;
  readonly mapper: ReturnType<typeof vtkMapper2D.newInstance>;
  /** Typed as an algorithm, but a vtk object like the others (`modified`, `delete`). */
  readonly texture: ReturnType<typeof vtkTexture.newInstance> & { modified(): void; delete(): void };
  /** Where the quad was last placed (device pixels from the bottom left). */
  at: string;
}

export function createAnnotationLayer(renderer: vtkRenderer, fontFamily: string): AnnotationLayer {
  const items = new Map<string, Item>();
  const canvas = new OffscreenCanvas(1, 1);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let dpr = 1;

  const font = (a: Annotation): string => `${a.bold ? 600 : 400} ${FONT_PX}px ${fontFamily}`;

  /** Draw an annotation's image into the item's texture (rows bottom-up, as vtk images are). */
  function paint(item: Item): void {
    const a = item.annotation;
    if (!ctx) return;
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
    const rgba = ctx.getImageData(0, 0, item.deviceW, item.deviceH).data;
    const rows = new Uint8Array(rgba.length);
    const stride = item.deviceW * 4;
    for (let r = 0; r < item.deviceH; r++) rows.set(rgba.subarray(r * stride, (r + 1) * stride), (item.deviceH - 1 - r) * stride);
    item.image.setDimensions(item.deviceW, item.deviceH, 1);
    item.image.getPointData().setScalars(vtkDataArray.newInstance({ numberOfComponents: 4, values: rows }));
    item.image.modified();
    item.texture.setInputData(item.image, 0);
    // The texture re-uploads when it is newer than its last upload; a new input image does not age it.
    item.texture.modified();
    item.plane.set({ point1: [item.deviceW, 0, 0], point2: [0, item.deviceH, 0] });
    item.at = '';
  }

  function create(annotation: Annotation): Item {
    const plane = vtkPlaneSource.newInstance({ xResolution: 1, yResolution: 1 });
    const mapper = vtkMapper2D.newInstance();
    mapper.setInputConnection(plane.getOutputPort());
    // Resizable: a new text (a status appended) is a new image size in the same texture.
    const texture = vtkTexture.newInstance({ interpolate: false, resizable: true }) as Item['texture'];
    const actor = vtkActor2D.newInstance();
    actor.setMapper(mapper);
    actor.addTexture(texture);
    actor.getProperty().setDisplayLocation(DisplayLocation.FOREGROUND);
    renderer.addActor2D(actor);
    return { annotation, w: 0, h: 0, deviceW: 1, deviceH: 1, actor, plane, image: vtkImageData.newInstance(), mapper, texture, at: '' };
  }

  function drop(item: Item): void {
    renderer.removeActor2D(item.actor);
    item.actor.delete();
    item.mapper.delete();
    item.plane.delete();
    item.texture.delete();
    item.image.delete();
  }

  return {
    update(next, viewport) {
      let changed = false;
      const rescaled = viewport.dpr !== dpr;
      dpr = viewport.dpr;
      for (const [id, item] of items) {
        if (next.has(id)) continue;
        drop(item);
        items.delete(id);
        changed = true;
      }
      for (const [id, annotation] of next) {
        let item = items.get(id);
        if (!item) {
          item = create(annotation);
          items.set(id, item);
          paint(item);
        } else if (rescaled || !sameAnnotation(item.annotation, annotation)) {
          item.annotation = annotation;
          paint(item);
        }
        const [x, y] = placeAnnotation(annotation.anchor, item.w, item.h, viewport.w, viewport.h);
        // Whole device pixels, so the text is drawn texel for pixel; vtk counts from the bottom.
        const left = Math.round(x * dpr);
        const bottom = viewport.deviceH - Math.round(y * dpr) - item.deviceH;
        const at = `${left},${bottom}`;
        if (at === item.at) continue;
        item.at = at;
        item.actor.setDisplayPosition(left, bottom);
        changed = true;
      }
      return changed;
    },
    delete() {
      for (const item of items.values()) drop(item);
      items.clear();
    },
  };
}
