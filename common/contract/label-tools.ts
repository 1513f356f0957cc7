/**
 * The correction tools the renderer can ask main to run on a label volume (`labels.apply`):
 * each is a small description (a seed, a polygon, a class and a slice), never a mask. Main
 * computes the voxels, applies them as one journaled, undoable step and answers with the
 * `LabelChange` to mirror. `labels.preview` computes the same change without applying it.
 * Every tool that sets voxels takes the shared rules: `paintOver` (which classes it may
 * overwrite; default 'nothing') and `editable` (voxels outside that intensity range never change).
 *
 * Coordinates: a voxel is (i, j, k); a slice is (axis, index); points in a slice are (u, v),
 * its two other axes in i, j, k order (axis 0: u = j, v = k; axis 1: u = i, v = k; axis 2:
 * u = i, v = j), voxel centres at integers. Intensity ranges are inclusive, in the volume's
 * units after rescale (HU for CT). Class 0 is background: `value` 0 erases, and a tool's erase
 * only touches voxels that have a class (unlike a `labels.paint` erase, it never marks
 * background as human-set).
 *
 * Rejected here: unknown kinds or keys, non-integer or negative voxel and slice indices, axes
 * other than 0–2, classes outside 1–255, non-finite or reversed ranges, polygons of fewer than
 * 3 or more than 10 000 points. Bounds that depend on the volume (slice and seed inside it)
 * are checked by main, with a message saying which.
 */
import { z } from 'zod';

/** Most voxels a brush may send or a tool may change in one edit. */
export const MAX_TOOL_VOXELS = 1 << 24;

const axis = z.union([z.literal(0), z.literal(1), z.literal(2)]);
const slice = z.number().int().min(0).max(65_535);
const classIndex = z.number().int().min(1).max(255);
const value = z.number().int().min(0).max(255);
/** zod rejects NaN and ±Infinity for every number. */
const range = z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo <= hi, 'range: lo must not exceed hi');
const voxel = z.tuple([slice, slice, slice]);
const coordinate = z.number().min(-1e6).max(1e6);
const maxVoxels = z.number().int().min(1).max(MAX_TOOL_VOXELS);
/**
 * Which current classes a tool may overwrite (enforced by main for every tool that sets
 * voxels): 'nothing' (default: no other organ), 'background' only, 'all', or one chosen label.
 */
export const PaintOver = z.union([z.enum(['nothing', 'background', 'all']), z.object({ label: classIndex }).strict()]);
export type PaintOver = z.output<typeof PaintOver>;
const paintOver = PaintOver.optional();
/**
 * The editable intensity range shared by every setting tool (3D Slicer's "editable intensity
 * range"): voxels whose intensity is outside [lo, hi] are never changed. Absent: no limit.
 */
export const EditableRange = range;
export type EditableRange = z.output<typeof EditableRange>;
const editable = range.optional();
/** 2D tools: the slices along `axis` (just `slice` when given, else every one). */
const plane = z.object({ axis, slice: slice.optional() }).strict();

export const LabelTool = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('threshold-paint'),
      /** Brush voxels (i + nx·(j + ny·k)) before the intensity limit. */
      indices: z.instanceof(Uint32Array).refine((a) => a.length <= MAX_TOOL_VOXELS, 'at most 16M voxels per edit'),
      value,
      /** Only voxels whose intensity is in [lo, hi] are painted. */
      range,
      /** Only voxels currently of this class (0: background only, so other organs are kept). */
      within: value.optional(),
      /** Segments of one stroke share an id and undo as one step, as with `labels.paint`. */
      stroke: z.string().min(1).max(64).optional(),
      paintOver,
      editable,
    })
    .strict(),
  z
    .object({
      kind: z.literal('region-grow'),
      seed: voxel,
      value,
      /** Voxels join while their intensity is in [lo, hi]. */
      range,
      /** Grow in the seed's slice along this axis (4-connected); absent: in 3D (6-connected). */
      axis: axis.optional(),
      /** Grow only through voxels currently of this class (0: background). */
      within: value.optional(),
      /** Refuse (rather than truncate) a region larger than this; default 16M. */
      maxVoxels: maxVoxels.optional(),
      paintOver,
      editable,
    })
    .strict(),
  z
    .object({
      kind: z.literal('scissors'),
      /** The slice the polygon was drawn on. */
      axis,
      slice,
      /** Polygon vertices in (u, v) voxel coordinates of that slice; closed implicitly. */
      points: z.array(z.tuple([coordinate, coordinate])).min(3).max(10_000),
      side: z.enum(['inside', 'outside']),
      /** 0 cuts (erases labelled voxels); a class fills. */
      value,
      /** The drawn slice only, or every slice along `axis`. */
      through: z.enum(['slice', 'volume']),
      range: range.optional(),
      within: value.optional(),
      paintOver,
      editable,
    })
    .strict(),
  z
    .object({
      kind: z.literal('islands'),
      classIndex,
      /** Erase components smaller than `minVoxels`, or every component but the largest. */
      mode: z.enum(['smaller-than', 'all-but-largest']),
      minVoxels: maxVoxels.optional(),
      /** Per slice in 2D (4-connected); absent: in 3D (6-connected). */
      plane: plane.optional(),
    })
    .strict()
    .refine((t) => t.mode !== 'smaller-than' || t.minVoxels !== undefined, 'islands: mode smaller-than needs minVoxels'),
  z
    .object({
      kind: z.literal('fill-holes'),
      classIndex,
      /** Per slice in 2D; absent: holes enclosed in 3D. */
      plane: plane.optional(),
      paintOver,
      editable,
    })
    .strict(),
  z
    .object({
      kind: z.literal('interpolate'),
      classIndex,
      axis,
      /** Two slices that both contain the class, with at least one slice between them. */
      from: slice,
      to: slice,
      paintOver,
      editable,
    })
    .strict()
    .refine((t) => t.to - t.from >= 2, 'interpolate: needs from < to with at least one slice between'),
  z
    .object({
      kind: z.literal('fill-between'),
      /** Every slice along `axis` that holds the class is a key slice; the gaps between them are filled. */
      classIndex,
      axis,
      paintOver,
      editable,
    })
    .strict(),
  z
    .object({
      kind: z.literal('smooth'),
      classIndex,
      /** Median (both ways), opening (removes spurs and bridges) or closing (fills notches and gaps), in 3D. */
      method: z.enum(['median', 'opening', 'closing']),
      /** Radius of the ellipsoidal kernel in mm (voxel spacing honoured). */
      radiusMm: z.number().min(0.1).max(50),
      paintOver,
      editable,
    })
    .strict(),
  z
    .object({
      kind: z.literal('margin'),
      classIndex,
      /** Grow (> 0) or shrink (< 0) the class by this distance in mm, in 3D (Euclidean, spacing honoured). */
      mm: z.number().min(-100).max(100).refine((v) => v !== 0, 'margin: give a non-zero distance'),
      paintOver,
      editable,
    })
    .strict(),
  z
    .object({
      kind: z.literal('logical'),
      /** The class that changes. */
      classIndex,
      /**
       * One class per voxel, so the other operand is the other class's region: its voxels and
       * what they enclose in 3D (a lesion inside the liver is in the liver's region). union: the
       * other class's voxels join this one; subtract: this class leaves that region; intersect:
       * this class keeps only what lies in it.
       */
      op: z.enum(['union', 'subtract', 'intersect']),
      other: classIndex,
      paintOver,
      editable,
    })
    .strict()
    .refine((t) => t.other !== t.classIndex, 'logical: pick two different classes'),
  z
    .object({
      kind: z.literal('revert'),
      /** The class whose human edits on this slice go back to the model's proposal. */
      classIndex,
      axis,
      slice,
    })
    .strict(),
]);
export type LabelTool = z.output<typeof LabelTool>;
export type LabelToolKind = LabelTool['kind'];

/** What a tool would change, computed by main and not applied (`labels.preview`). */
export interface LabelPreview {
  readonly volumeId: string;
  /** The voxels whose class would change, and their classes after (0: erased); locked classes are left out. */
  readonly indices: Uint32Array;
  readonly values: Uint8Array;
}

/** One class's figures (`labels.statistics`); intensities in the volume's units (HU for CT). */
export interface SegmentStatistics {
  readonly classIndex: number;
  readonly voxels: number;
  /** Volume in millilitres (voxels × voxel volume). */
  readonly volumeMl: number;
  readonly meanIntensity: number;
  readonly sdIntensity: number;
  /** Bounding box in voxel indices (inclusive) and its size in mm along i, j, k. */
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
  readonly extentMm: readonly [number, number, number];
}
