/**
 * Brush and eraser: a drag paints (or erases) the footprint around every voxel the pointer
 * crosses; the editor paints it locally at once and sends it to main. A voxel painted by the
 * previous move is not painted again (a pointer that moves within one voxel repaints nothing).
 */
import type { Editor } from '../editor.svelte';
import type { ViewTool } from './view-tool';

export type Painter = Pick<Editor, 'paintAt' | 'endStroke' | 'radiusMm'>;

export function brushTool(editor: Painter): ViewTool {
  return {
    cursor: 'default',
    get footprintMm() {
      return editor.radiusMm;
    },
    press(p) {
      if (!p.hover) return null;
      let last = p.hover.ijk.join();
      editor.paintAt(p.sliceAxis, p.hover.ijk, true);
      return {
        move(q) {
          if (!q.hover) return;
          const key = q.hover.ijk.join();
          if (key === last) return;
          last = key;
          editor.paintAt(q.sliceAxis, q.hover.ijk, false);
        },
        end: () => editor.endStroke(),
      };
    },
  };
}
