/**
 * A slice view's annotations, as ITK-SNAP and Slicer draw them in the view itself: the view's
 * name, the patient letters at the four edges, the slice line (with its review status), window
 * and level, and the scale bar. What they say and where they sit is worked out here, with no
 * DOM and no WebGL; views/annotation-layer draws them into the view's own WebGL frame. (As page
 * elements over the canvas each was a composited layer that software graphics blended into every
 * frame of every view: ~0.18 ms each, ~5 ms a frame for the three views.)
 */
import type { ScaleBar } from './scale-bar';
import { formatWindowValue, type WindowLevel } from './window-level';

/** Where an annotation sits in the view (the scale bar sits above the bottom-right one). */
export type Anchor = 'top-left' | 'top' | 'bottom' | 'left' | 'right' | 'bottom-left' | 'bottom-right' | 'above-bottom-right';

/** A run of text in one colour (CSS colour string). */
export interface TextRun {
  readonly text: string;
  readonly color: string;
}

export interface Annotation {
  readonly anchor: Anchor;
  readonly runs: readonly TextRun[];
  readonly bold?: boolean;
  /** A scale bar this many CSS pixels long, drawn above the text and right-aligned with it. */
  readonly barPx?: number;
}

/** Colours, as the page's overlays had them. */
export const ANNOTATION_COLORS = {
  text: '#e6e6a0',
  letter: '#f0c060',
  scale: '#e0e0e0',
  status: { reviewed: '#7fd67f', corrected: '#f0c060', auto: '#86b4e9' } as Readonly<Record<string, string>>,
} as const;

/** Margins from the view's edges (CSS px): as the page's overlays were placed. */
const SIDE = 8;
const END = 6;
const ABOVE_BOTTOM = 24;

export interface AnnotationInput {
  readonly title: string;
  readonly letters: { readonly left: string; readonly right: string; readonly top: string; readonly bottom: string };
  /** Index of the shown slice (0-based) and the slice count. */
  readonly slice: number;
  readonly sliceCount: number;
  /** "auto (liver)", "corrected", …; null when slices are not tracked. */
  readonly sliceStatus: string | null;
  readonly windowLevel: WindowLevel;
  readonly bar: ScaleBar;
}

const sliceLine = (slice: number, count: number): string => `Slice ${slice + 1} / ${count}`;
const statusText = (status: string): string => ` · ${status}`;
const windowLine = (wl: WindowLevel): string => `W ${formatWindowValue(wl.width)} L ${formatWindowValue(wl.level)}`;

/** The annotations of a view, by id; the scale bar is left out when there is none to draw. */
export function viewAnnotations(v: AnnotationInput): ReadonlyMap<string, Annotation> {
  const { text, letter, scale, status } = ANNOTATION_COLORS;
  const out = new Map<string, Annotation>();
  out.set('title', { anchor: 'top-left', runs: [{ text: v.title, color: text }] });
  for (const edge of ['top', 'bottom', 'left', 'right'] as const) out.set(`letter-${edge}`, { anchor: edge, bold: true, runs: [{ text: v.letters[edge], color: letter }] });
  const slice: TextRun[] = [{ text: sliceLine(v.slice, v.sliceCount), color: text }];
  if (v.sliceStatus) slice.push({ text: statusText(v.sliceStatus), color: status[v.sliceStatus.split(' ')[0] ?? ''] ?? text });
  out.set('slice', { anchor: 'bottom-left', runs: slice });
  out.set('window', { anchor: 'bottom-right', runs: [{ text: windowLine(v.windowLevel), color: text }] });
  if (v.bar.mm > 0) out.set('scale-bar', { anchor: 'above-bottom-right', runs: [{ text: v.bar.label, color: scale }], barPx: v.bar.px });
  return out;
}

/** Top-left corner (CSS px from the view's top-left) of a w × h annotation in a vw × vh view. */
export function placeAnnotation(anchor: Anchor, w: number, h: number, vw: number, vh: number): [number, number] {
  switch (anchor) {
    case 'top-left':
      return [SIDE, END];
    case 'top':
      return [(vw - w) / 2, END];
    case 'bottom':
      return [(vw - w) / 2, vh - END - h];
    case 'left':
      return [SIDE, (vh - h) / 2];
    case 'right':
      return [vw - SIDE - w, (vh - h) / 2];
    case 'bottom-left':
      return [SIDE, vh - END - h];
    case 'bottom-right':
      return [vw - SIDE - w, vh - END - h];
    case 'above-bottom-right':
      return [vw - SIDE - w, vh - ABOVE_BOTTOM - h];
  }
}

/** Same content (what decides whether an annotation's image must be drawn again). */
export function sameAnnotation(a: Annotation, b: Annotation): boolean {
  return (
    a.anchor === b.anchor &&
    !!a.bold === !!b.bold &&
    a.barPx === b.barPx &&
    a.runs.length === b.runs.length &&
    a.runs.every((r, i) => r.text === b.runs[i]!.text && r.color === b.runs[i]!.color)
  );
}
