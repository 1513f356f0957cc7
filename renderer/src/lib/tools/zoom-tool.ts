/** Zoom: a vertical drag zooms the view about the press point (up zooms in). */
import { zoomAt } from '../view-camera';
import { dragZoomFactor } from '../view-gestures';
import { dragOf, type ViewTool } from './view-tool';

export function zoomTool(): ViewTool {
  return {
    cursor: 'zoom-in',
    press(p) {
      const { zoomPan, mmPerPx } = p.camera;
      return dragOf((q) => q.camera.setZoomPan(zoomAt(zoomPan, dragZoomFactor(q.y - p.y), p.offset, mmPerPx)));
    },
  };
}
