/**
 * The slice views' tools, one object per editor tool, and which one a press uses: the active
 * tool for a plain left press; window/level for the right button or Ctrl (⌘) + left, pan for
 * the middle button or Shift + left, whatever the active tool (lib/view-gestures).
 */
import type { Editor, Tool } from '../editor.svelte';
import { pressRole, type PressInfo } from '../view-gestures';
import type { Viewer } from '../viewer.svelte';
import { brushTool } from './brush-tool';
import { growTool } from './grow-tool';
import { navigateTool } from './navigate-tool';
import { panTool } from './pan-tool';
import { scissorsTool } from './scissors-tool';
import type { ToolSource, ViewTool } from './view-tool';
import { windowLevelTool, type WindowHolder } from './window-level-tool';
import { zoomTool } from './zoom-tool';

export class ViewTools implements ToolSource {
  readonly byTool: Readonly<Record<Tool, ViewTool>>;

  constructor(
    private readonly editor: Editor,
    viewer: Pick<Viewer, 'navigate'>,
    study: WindowHolder,
  ) {
    const brush = brushTool(editor);
    this.byTool = {
      navigate: navigateTool(viewer),
      windowLevel: windowLevelTool(study),
      zoom: zoomTool(),
      pan: panTool(),
      brush,
      eraser: brush,
      grow: growTool(editor),
      scissors: scissorsTool(editor),
    };
  }

  /** The editor's active tool (reactive: it reads the editor's state). */
  get active(): ViewTool {
    return this.byTool[this.editor.tool];
  }

  /** The tool a press uses, or null for a button that does nothing (back, forward). */
  forPress(press: PressInfo): ViewTool | null {
    const role = pressRole(press);
    return role === 'active' ? this.active : role === null ? null : this.byTool[role];
  }
}
