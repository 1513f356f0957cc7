/**
 * A correction tool as a composition of strategies (cornerstone3D's BrushStrategy): a region
 * (brush voxels, a grown region, a polygon, components, holes, an interpolated shape, a
 * slice's human edits) → a filter (intensity range, only one class, and for erases only
 * labelled voxels) → a value. The result is the voxels to set; the label session applies it
 * as one journaled, undoable step and keeps locked classes.
 *
 * Erases touch labelled voxels only: a cut through a 300-slice volume must not mark millions
 * of background voxels as human-set (that would also shield them from every later model run).
 * A plain brush erase (`labels.paint` with 0) still marks background, as a deliberate "nothing
 * here".
 *
 * Every setting tool then obeys the shared rules (paint-over.ts): the paint-over rule (which
 * classes it may overwrite) and the editable intensity range (voxels outside it never change).
 *
 * Rejected (as user-facing errors): brush voxels outside the volume, a seed or slice outside
 * it, and any edit larger than MAX_TOOL_VOXELS (or the region grow's own limit).
 */
import { MAX_TOOL_VOXELS, type LabelTool } from '../../../../common/contract/label-tools.js';
import { UserFacingError } from '../../../../common/contract/result.js';
import type { VoxelArray } from '../../../../common/contract/volume.js';
import type { LabelEdit } from '../label-session.js';
import { fillHoles } from './fill-holes.js';
import type { Dims } from './grid.js';
import { interpolate } from './interpolate.js';
import { islands } from './islands.js';
import { fillBetween } from './fill-between.js';
import { logical } from './logical.js';
import { margin, smooth, type ClassChange } from './morphology.js';
import { keepEditable, keepOverwritable, paintOverMask } from './paint-over.js';
import { regionGrow } from './region-grow.js';
import { revertIndices } from './revert.js';
import { scissors } from './scissors.js';
import { candidateFilter, filterIndices } from './threshold.js';

export interface ToolContext {
  readonly dims: Dims;
  /** Voxel size along i, j, k in mm. */
  readonly spacing: readonly [number, number, number];
  /** Image intensities (after rescale), same layout as the labels. */
  readonly image: VoxelArray;
  readonly labels: Uint8Array;
  readonly source: Uint8Array;
  readonly origin: Uint8Array;
}

/** The voxels a tool sets and how, within the editable range; pure (reads the context, writes nothing). */
export function planTool(t: LabelTool, ctx: ToolContext): LabelEdit {
  const e = planRaw(t, ctx);
  const r = 'editable' in t ? t.editable : undefined;
  if (!r) return e;
  if (e.kind === 'set') return { ...e, indices: keepEditable(e.indices, ctx.image, r) };
  if (e.kind === 'change') return { ...e, add: keepEditable(e.add, ctx.image, r), remove: keepEditable(e.remove, ctx.image, r) };
  return e;
}

/** Additions under the paint-over rule (removals only ever take the class's own voxels). */
function classEdit(c: ClassChange, cls: number, labels: Uint8Array, mask: Uint8Array): LabelEdit {
  return { kind: 'change', add: keepOverwritable(c.add, labels, mask), remove: c.remove, value: cls };
}

function planRaw(t: LabelTool, ctx: ToolContext): LabelEdit {
  const { dims, image, labels } = ctx;
  const max = MAX_TOOL_VOXELS;
  switch (t.kind) {
    case 'threshold-paint': {
      const size = labels.length;
      for (let n = 0; n < t.indices.length; n++) {
        if (t.indices[n]! >= size) throw new UserFacingError('invalid-argument', `Voxel index ${t.indices[n]} is outside the volume (${size} voxels).`);
      }
      const f = candidateFilter(labels, image, { range: t.range, within: t.within, labelledOnly: t.value === 0, overwritable: paintOverMask(t.paintOver, t.value) });
      return { kind: 'set', indices: filterIndices(t.indices, f), value: t.value, ...(t.stroke === undefined ? {} : { stroke: t.stroke }) };
    }
    case 'region-grow': {
      // The grow stops at the editable range, rather than growing through voxels it may not set.
      const f = candidateFilter(labels, image, { range: intersect(t.range, t.editable), within: t.within, labelledOnly: t.value === 0, overwritable: paintOverMask(t.paintOver, t.value) });
      const indices = regionGrow(dims, f, { seed: t.seed, axis: t.axis ?? null, maxVoxels: t.maxVoxels ?? max });
      return { kind: 'set', indices, value: t.value };
    }
    case 'scissors': {
      const f = candidateFilter(labels, image, { range: t.range, within: t.within, labelledOnly: t.value === 0, overwritable: paintOverMask(t.paintOver, t.value) });
      return { kind: 'set', indices: scissors(dims, f, t, max), value: t.value };
    }
    case 'islands': {
      const plane = t.plane ? { axis: t.plane.axis, slice: t.plane.slice ?? null } : null;
      return { kind: 'set', indices: islands(dims, labels, { classIndex: t.classIndex, mode: t.mode, minVoxels: t.minVoxels ?? 0, plane }, max), value: 0 };
    }
    case 'fill-holes': {
      const plane = t.plane ? { axis: t.plane.axis, slice: t.plane.slice ?? null } : null;
      const indices = fillHoles(dims, labels, { classIndex: t.classIndex, plane }, max);
      return { kind: 'set', indices: keepOverwritable(indices, labels, paintOverMask(t.paintOver, t.classIndex)), value: t.classIndex };
    }
    case 'interpolate': {
      const indices = interpolate(dims, labels, { ...t, spacing: ctx.spacing }, max);
      return { kind: 'set', indices: keepOverwritable(indices, labels, paintOverMask(t.paintOver, t.classIndex)), value: t.classIndex };
    }
    case 'fill-between': {
      const indices = fillBetween(dims, labels, { classIndex: t.classIndex, axis: t.axis, spacing: ctx.spacing }, max);
      return { kind: 'set', indices: keepOverwritable(indices, labels, paintOverMask(t.paintOver, t.classIndex)), value: t.classIndex };
    }
    case 'smooth':
      return classEdit(smooth(dims, ctx.spacing, labels, t.classIndex, t.method, t.radiusMm), t.classIndex, labels, paintOverMask(t.paintOver, t.classIndex));
    case 'margin':
      return classEdit(margin(dims, ctx.spacing, labels, t.classIndex, t.mm), t.classIndex, labels, paintOverMask(t.paintOver, t.classIndex));
    case 'logical': {
      // A union is about the other class: the rule lets its voxels be taken.
      const mask = paintOverMask(t.paintOver, t.classIndex);
      mask[t.other] = 1;
      return classEdit(logical(dims, labels, t.classIndex, t.op, t.other), t.classIndex, labels, mask);
    }
    case 'revert':
      return { kind: 'revert', indices: revertIndices(dims, labels, ctx.source, ctx.origin, t) };
  }
}

/** The overlap of two ranges; an empty overlap becomes a range no finite intensity is in. */
function intersect(a: readonly [number, number], b: readonly [number, number] | undefined): [number, number] {
  if (!b) return [a[0], a[1]];
  const lo = Math.max(a[0], b[0]);
  const hi = Math.min(a[1], b[1]);
  return lo <= hi ? [lo, hi] : [Number.MAX_VALUE, Number.MAX_VALUE];
}
