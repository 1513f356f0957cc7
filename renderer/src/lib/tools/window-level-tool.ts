/** Window/level: a drag from the window at the press (right widens, down raises the level). */
import { dragWindowLevel, type WindowLevel } from '../window-level';
import { dragOf, type ViewTool } from './view-tool';

/** Where the display window lives (the study's). */
export interface WindowHolder {
  windowLevel: WindowLevel;
}

export function windowLevelTool(holder: WindowHolder): ViewTool {
  return {
    cursor: 'ns-resize',
    press(p) {
      const start = holder.windowLevel;
      return dragOf((q) => {
        holder.windowLevel = dragWindowLevel(start, q.x - p.x, q.y - p.y);
      });
    },
  };
}
