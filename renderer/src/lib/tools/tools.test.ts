import { describe, expect, it } from 'vitest';
import type { Hover } from '../hover';
import type { Plane, Vec3, VoxelAxis } from '../orientation';
import { FIT, type ZoomPan } from '../view-camera';
import type { Uv } from '../label-tools';
import { brushTool } from './brush-tool';
import { growTool } from './grow-tool';
import { navigateTool } from './navigate-tool';
import { panTool } from './pan-tool';
import { scissorsTool } from './scissors-tool';
import type { ViewCameraControl, ViewPointer } from './view-tool';
import { windowLevelTool } from './window-level-tool';
import { zoomTool } from './zoom-tool';

/** A view's camera as the slice view hands it to tools: zoom and pan it owns, its scale. */
function camera(mmPerPx = 0.5): ViewCameraControl & { zp: ZoomPan } {
  return {
    zp: FIT,
    get zoomPan() {
      return this.zp;
    },
    mmPerPx,
    setZoomPan(zp) {
      this.zp = zp;
    },
  };
}

function pointer(x: number, y: number, ijk: Vec3 | null, cam: ViewCameraControl = camera(), value = 40): ViewPointer {
  const hover: Hover | null = ijk ? { ijk, world: [ijk[0], ijk[1], ijk[2]], value } : null;
  return {
    plane: 'axial',
    sliceAxis: 2,
    slice: 7,
    hover,
    world: ijk ? [ijk[0], ijk[1], ijk[2]] : [-3, -4, 7],
    index: ijk ? [ijk[0] + 0.2, ijk[1] - 0.3, 7] : [-3.4, -4.1, 7],
    x,
    y,
    offset: [x - 100, y - 50],
    camera: cam,
  };
}

describe('view tools', () => {
  it('the brush paints at the press and at each new voxel of the drag, and ends the stroke on release', () => {
    const calls: string[] = [];
    const tool = brushTool({
      radiusMm: 4,
      paintAt: (axis: VoxelAxis, ijk: Vec3, first: boolean) => calls.push(`${axis}:${ijk.join(',')}${first ? ' first' : ''}`),
      endStroke: () => calls.push('end'),
    });
    expect(tool.footprintMm).toBe(4);
    expect(tool.press(pointer(0, 0, null))).toBeNull(); // outside the volume: no stroke
    const drag = tool.press(pointer(0, 0, [1, 2, 7]));
    drag?.move(pointer(1, 0, [1, 2, 7])); // same voxel: nothing new to paint
    drag?.move(pointer(2, 0, null)); // off the volume: skipped
    drag?.move(pointer(3, 0, [2, 2, 7]));
    drag?.end();
    expect(calls).toEqual(['2:1,2,7 first', '2:2,2,7', 'end']);
  });

  it('window/level drags from the window at the press', () => {
    const holder = { windowLevel: { width: 400, level: 40 } };
    const drag = windowLevelTool(holder).press(pointer(10, 10, [0, 0, 7]));
    drag?.move(pointer(210, 10, [0, 0, 7]));
    expect(holder.windowLevel.width).toBeCloseTo(400 * Math.E);
    drag?.move(pointer(10, 74, [0, 0, 7])); // each move is from the press, not the last move
    expect(holder.windowLevel).toEqual({ width: 400, level: 40 + (64 * 400) / 256 });
  });

  it('pan moves the image with the pointer at the press scale; zoom doubles for 150 px upward about the press', () => {
    const cam = camera(0.5);
    panTool().press(pointer(10, 10, null, cam))?.move(pointer(30, 0, null, cam));
    expect(cam.zp).toEqual({ zoom: 1, pan: [-10, -5] });
    const cam2 = camera(0.5);
    zoomTool().press(pointer(100, 50, null, cam2))?.move(pointer(100, -100, null, cam2));
    expect(cam2.zp.zoom).toBeCloseTo(2);
    expect(cam2.zp.pan.map(Math.abs)).toEqual([0, 0]); // pressed at the view's centre: it stays put
  });

  it('navigate moves the other views on press and drag; grow seeds once with the voxel value', () => {
    const moves: string[] = [];
    const drag = navigateTool({ navigate: (from: Plane, ijk: Vec3) => moves.push(`${from}:${ijk.join(',')}`) }).press(pointer(0, 0, [3, 4, 7]));
    drag?.move(pointer(1, 1, [5, 4, 7]));
    expect(moves).toEqual(['axial:3,4,7', 'axial:5,4,7']);
    const seeds: string[] = [];
    const grow = growTool({ growAt: (axis: VoxelAxis, ijk: Vec3, v: number) => seeds.push(`${axis}:${ijk.join(',')}=${v}`) });
    expect(grow.press(pointer(0, 0, [3, 4, 7], camera(), -12))).toBeNull();
    expect(seeds).toEqual(['2:3,4,7=-12']);
  });

  it('scissors add vertices in (u, v) of the slice, outside the volume too, and a double-click closes the polygon', () => {
    const editor = {
      polygon: null as { plane: Plane; axis: VoxelAxis; slice: number; points: readonly Uv[] } | null,
      closed: 0,
      addPolygonPoint(plane: Plane, axis: VoxelAxis, slice: number, uv: Uv) {
        this.polygon = { plane, axis, slice, points: [...(this.polygon?.points ?? []), uv] };
      },
      closePolygon() {
        this.closed++;
      },
    };
    const tool = scissorsTool(editor);
    tool.press(pointer(0, 0, [1, 2, 7]));
    tool.press(pointer(0, 0, null));
    expect(editor.polygon?.points).toEqual([
      [1.2, 1.7],
      [-3.4, -4.1],
    ]);
    expect(tool.polygonOn?.('axial', 7)).toHaveLength(2);
    expect(tool.polygonOn?.('axial', 8)).toBeNull();
    expect(tool.polygonOn?.('coronal', 7)).toBeNull();
    expect(tool.doubleClick?.(pointer(0, 0, null))).toBe(true);
    expect(editor.closed).toBe(1);
  });
});
