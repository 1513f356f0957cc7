/**
 * Scissors: each click adds a vertex of a polygon on the view's slice (outside the volume too:
 * a cut may keep only what is inside); a double-click (or Enter) closes it into a preview.
 */
import type { Editor } from '../editor.svelte';
import { toUv } from '../label-tools';
import type { ViewTool } from './view-tool';

export function scissorsTool(editor: Pick<Editor, 'addPolygonPoint' | 'closePolygon' | 'polygon'>): ViewTool {
  return {
    cursor: 'crosshair',
    press(p) {
      if (p.index) editor.addPolygonPoint(p.plane, p.sliceAxis, p.slice, toUv(p.sliceAxis, p.index));
      return null;
    },
    doubleClick() {
      editor.closePolygon();
      return true;
    },
    polygonOn(plane, slice) {
      const poly = editor.polygon;
      return poly && poly.plane === plane && poly.slice === slice ? poly.points : null;
    },
  };
}
