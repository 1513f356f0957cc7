/** Navigate: a click (or drag) in one view moves the other two to the slices through that voxel. */
import type { Viewer } from '../viewer.svelte';
import { dragOf, type ViewTool } from './view-tool';

export function navigateTool(viewer: Pick<Viewer, 'navigate'>): ViewTool {
  return {
    cursor: 'crosshair',
    press(p) {
      if (!p.hover) return null;
      viewer.navigate(p.plane, p.hover.ijk);
      return dragOf((q) => {
        if (q.hover) viewer.navigate(q.plane, q.hover.ijk);
      });
    },
  };
}
