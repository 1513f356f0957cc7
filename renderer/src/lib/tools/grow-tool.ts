/** Region grow: a click seeds a grow of the active class from that voxel (a preview; Enter applies). */
import type { Editor } from '../editor.svelte';
import type { ViewTool } from './view-tool';

export function growTool(editor: Pick<Editor, 'growAt'>): ViewTool {
  return {
    cursor: 'crosshair',
    press(p) {
      if (p.hover) editor.growAt(p.sliceAxis, p.hover.ijk, p.hover.value);
      return null;
    },
  };
}
