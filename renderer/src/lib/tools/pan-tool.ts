/** Pan: the image follows the pointer (millimetres at the press's scale). */
import { panBy } from '../view-camera';
import { dragOf, type ViewTool } from './view-tool';

export function panTool(): ViewTool {
  return {
    cursor: 'grab',
    press(p) {
      const { zoomPan, mmPerPx } = p.camera;
      return dragOf((q) => q.camera.setZoomPan(panBy(zoomPan, q.x - p.x, q.y - p.y, mmPerPx)));
    },
  };
}
