/**
 * A sparse change to a label volume: which voxels, and their label and provenance before and
 * after. Edits, model runs, undo and redo all travel as these, between main and the renderer and
 * into the journal; whole volumes never do.
 *
 * Invariant: every index appears once and every array has the same length.
 */

/** Who set a voxel's label last. */
export const Source = { none: 0, auto: 1, human: 2 } as const;
export type Source = (typeof Source)[keyof typeof Source];

export interface LabelDiff {
  readonly indices: Uint32Array;
  readonly before: Uint8Array;
  readonly after: Uint8Array;
  readonly sourceBefore: Uint8Array;
  readonly sourceAfter: Uint8Array;
}

export const diffBytes = (d: LabelDiff): number => d.indices.byteLength + 4 * d.before.byteLength;

/** The diff that undoes `d`. */
export function invertDiff(d: LabelDiff): LabelDiff {
  return { indices: d.indices, before: d.after, after: d.before, sourceBefore: d.sourceAfter, sourceAfter: d.sourceBefore };
}

/** Write the `after` side of a diff into label and source volumes. */
export function applyDiff(d: LabelDiff, labels: Uint8Array, source: Uint8Array): void {
  for (let n = 0; n < d.indices.length; n++) {
    const i = d.indices[n]!;
    labels[i] = d.after[n]!;
    source[i] = d.sourceAfter[n]!;
  }
}

/** Visits candidate voxels: calls `emit(index, label, source)` once per voxel, each index once. */
export type CandidateVisitor = (emit: (index: number, label: number, source: number) => void) => void;

/**
 * The diff that setting the visited voxels would make, leaving out voxels that would not change
 * and those `keep(index, current, next)` vetoes (locked classes, reviewed slices). Two passes
 * (count, then fill) so a whole-volume model run never builds per-voxel JS arrays.
 */
export function makeDiff(
  labels: Uint8Array,
  source: Uint8Array,
  visit: CandidateVisitor,
  keep: (index: number, current: number, next: number) => boolean = () => false,
): LabelDiff {
  const changes = (i: number, value: number, src: number): boolean =>
    (labels[i] !== value || source[i] !== src) && !keep(i, labels[i]!, value);
  let count = 0;
  visit((i, value, src) => {
    if (changes(i, value, src)) count++;
  });
  const d = {
    indices: new Uint32Array(count),
    before: new Uint8Array(count),
    after: new Uint8Array(count),
    sourceBefore: new Uint8Array(count),
    sourceAfter: new Uint8Array(count),
  };
  let n = 0;
  visit((i, value, src) => {
    if (!changes(i, value, src)) return;
    d.indices[n] = i;
    d.before[n] = labels[i]!;
    d.after[n] = value;
    d.sourceBefore[n] = source[i]!;
    d.sourceAfter[n] = src;
    n++;
  });
  return d;
}

/**
 * The diff of setting every voxel of `indices` to (value, src): what `makeDiff` gives for that
 * visitor with locked classes vetoed both ways, in flat loops (a tool edit can set millions of
 * voxels, and a closure chain per voxel cost about a second per million).
 */
export function makeSetDiff(labels: Uint8Array, source: Uint8Array, indices: Uint32Array, value: number, src: number, locked: ReadonlySet<number>): LabelDiff {
  const vetoed = new Uint8Array(256);
  for (const c of locked) vetoed[c & 255] = 1;
  const none = locked.has(value);
  let count = 0;
  for (let n = 0; n < indices.length && !none; n++) {
    const i = indices[n]!;
    if ((labels[i] !== value || source[i] !== src) && vetoed[labels[i]!] === 0) count++;
  }
  const d = {
    indices: new Uint32Array(count),
    before: new Uint8Array(count),
    after: new Uint8Array(count).fill(value),
    sourceBefore: new Uint8Array(count),
    sourceAfter: new Uint8Array(count).fill(src),
  };
  for (let n = 0, m = 0; m < count; n++) {
    const i = indices[n]!;
    const l = labels[i]!;
    if ((l === value && source[i] === src) || vetoed[l] !== 0) continue;
    d.indices[m] = i;
    d.before[m] = l;
    d.sourceBefore[m] = source[i]!;
    m++;
  }
  return d;
}
