/**
 * The workstation's commands (commands.ts): every key of the app, its label and what it runs,
 * in the order keys are tried (a conditional command first: Enter applies a preview only when
 * there is one). The toolbar's tool buttons take their tooltips from here, and the help screen
 * ('?') lists this table.
 */
import type { Command } from './commands';
import type { Editor, Tool } from './editor.svelte';
import type { LabelDisplay } from './label-display.svelte';
import type { Viewer } from './viewer.svelte';

export interface AppParts {
  readonly editor: Editor;
  readonly viewer: Viewer;
  readonly display: LabelDisplay;
  readonly markReviewed: () => void;
  readonly nextToReview: () => void;
  readonly toggleHelp: () => void;
  /** The worklist's Save & next. */
  readonly saveAndNext: () => void;
}

/** The tools of the toolbar, with their hint after the key in the tooltip. */
export const TOOLS: readonly { tool: Tool; label: string; key: string; hint?: string }[] = [
  { tool: 'navigate', label: 'Navigate', key: 'n', hint: 'click moves the crosshair and the other views' },
  { tool: 'windowLevel', label: 'W/L', key: 'w', hint: 'drag: right widens, down raises the level; also right or Ctrl+drag' },
  { tool: 'zoom', label: 'Zoom', key: 'z', hint: 'drag up to zoom in; also Ctrl+wheel' },
  { tool: 'pan', label: 'Pan', key: 'p', hint: 'also middle or Shift+drag' },
  { tool: 'brush', label: 'Brush', key: 'b', hint: 'drag paints the active class; the paint-over rule keeps other organs' },
  { tool: 'eraser', label: 'Eraser', key: 'e' },
  { tool: 'grow', label: 'Grow', key: 'g', hint: 'click previews a grow of the active class from that voxel; Enter applies, Escape cancels' },
  { tool: 'scissors', label: 'Scissors', key: 'c', hint: 'click points, Enter or double-click previews the cut, Enter applies, Escape cancels' },
];

export function appCommands(p: AppParts): Command[] {
  const { editor, viewer, display } = p;
  const tools: Command[] = TOOLS.map((t) => ({
    id: `tool.${t.tool}`,
    keys: [{ key: t.key }],
    label: `${t.label} tool${t.hint ? `: ${t.hint}` : ''}`,
    group: 'Tools',
    run: () => (editor.tool = t.tool),
  }));
  return [
    { id: 'help', keys: [{ key: '?' }], label: 'Show or hide this list of keys', group: 'Help', run: p.toggleHelp },
    { id: 'worklist.saveAndNext', keys: [{ key: 'Enter', mod: true }], label: 'Save & next: mark this case reviewed, open the next unfinished one', group: 'Worklist', run: p.saveAndNext },
    { id: 'undo', keys: [{ key: 'z', mod: true, shift: false }], label: 'Undo (model runs too)', group: 'Labels', run: () => editor.undo() },
    { id: 'redo', keys: [{ key: 'z', mod: true, shift: true }, { key: 'y', mod: true }], label: 'Redo', group: 'Labels', run: () => editor.redo() },
    { id: 'polygon.cancel', keys: [{ key: 'Escape' }], label: 'Drop the scissors polygon', group: 'Preview', run: () => editor.cancelPolygon(), when: () => editor.polygon !== null },
    {
      id: 'polygon.close',
      keys: [{ key: 'Enter' }],
      label: 'Close the scissors polygon (previews the cut)',
      group: 'Preview',
      run: () => editor.closePolygon(),
      when: () => editor.polygon !== null && editor.tool === 'scissors',
    },
    { id: 'preview.apply', keys: [{ key: 'Enter' }], label: 'Apply the preview (one undo step)', group: 'Preview', run: () => editor.commitPreview(), when: () => editor.preview.tool !== null },
    { id: 'preview.cancel', keys: [{ key: 'Escape' }], label: 'Cancel the preview', group: 'Preview', run: () => editor.cancelPreview(), when: () => editor.preview.tool !== null },
    { id: 'tool.navigate.escape', keys: [{ key: 'Escape' }], label: 'Back to the navigate tool', group: 'Tools', run: () => (editor.tool = 'navigate') },
    ...tools,
    { id: 'range.toggle', keys: [{ key: 't' }], label: 'Editable intensity range on or off (every tool)', group: 'Labels', run: () => (editor.limitToRange = !editor.limitToRange) },
    { id: 'brush.smaller', keys: [{ key: '[' }], label: 'Brush radius −1 mm', group: 'Brush', run: () => (editor.radiusMm = Math.max(1, editor.radiusMm - 1)) },
    { id: 'brush.larger', keys: [{ key: ']' }], label: 'Brush radius +1 mm', group: 'Brush', run: () => (editor.radiusMm = Math.min(50, editor.radiusMm + 1)) },
    { id: 'dimension', keys: [{ key: 's' }], label: '2D / 3D: brush disk or sphere, grow in the slice or in 3D, scissors slice or volume', group: 'Brush', run: () => editor.toggleDimension() },
    { id: 'fill-holes', keys: [{ key: 'h' }], label: 'Fill holes of the active class', group: 'Labels', run: () => editor.fillHoles() },
    { id: 'remove-islands', keys: [{ key: 'l' }], label: 'Remove small islands of the active class', group: 'Labels', run: () => editor.removeIslands() },
    { id: 'interpolate', keys: [{ key: 'i' }], label: 'Interpolate the active class between two axial slices', group: 'Labels', run: () => editor.interpolate() },
    { id: 'revert', keys: [{ key: 'v' }], label: "Revert the active class on the axial slice to the model's proposal", group: 'Labels', run: () => editor.revert() },
    { id: 'review.mark', keys: [{ key: 'r' }], label: 'Mark the axial slice reviewed', group: 'Review', run: p.markReviewed },
    { id: 'review.next', keys: [{ key: 'k' }], label: 'Next slice to review (least sure first)', group: 'Review', run: p.nextToReview },
    { id: 'labels.outline', keys: [{ key: 'o' }], label: 'Labels filled or outlined', group: 'View', run: () => display.toggleMode() },
    {
      id: 'view.edits',
      keys: [{ key: 'd' }],
      label: "Human edits on or off: voxels you changed apart from the model's proposal, hatched (magenta drawn, cyan erased)",
      group: 'View',
      run: () => (display.showEdits = !display.showEdits),
    },
    {
      id: 'view.uncertainty',
      keys: [{ key: 'u' }],
      label: "Uncertainty on or off: the last model run's per-voxel entropy as a heat map (yellow to red: more unsure)",
      group: 'View',
      run: () => (display.showUncertainty = !display.showUncertainty),
    },
    { id: 'view.crosshair', keys: [{ key: 'x' }], label: 'Crosshair on or off', group: 'View', run: () => viewer.onkey('x') },
    { id: 'view.maximize', keys: [{ key: 'm' }], label: 'Maximize the view under the pointer, or restore', group: 'View', run: () => viewer.onkey('m') },
    { id: 'view.fit', keys: [{ key: 'f' }], label: 'Fit every view (reset zoom and pan)', group: 'View', run: () => viewer.onkey('f') },
    {
      id: 'view.preset',
      keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((key) => ({ key })),
      label: 'Window preset',
      keyText: '1–9',
      group: 'View',
      run: (key) => viewer.onkey(key ?? '1'),
      when: () => viewer.presets.length > 0,
    },
  ];
}
