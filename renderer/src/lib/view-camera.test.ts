import { describe, expect, it } from 'vitest';
import { viewGeometry, type Vec3 } from './orientation';
import { FIT, MAX_ZOOM, panBy, screenToWorld, viewCamera, viewFrame, worldToScreen, zoomAt } from './view-camera';

// 100 × 50 × 10 voxels of 1 × 2 × 3 mm, identity direction (LPS), origin 10, 20, 30.
const meta = {
  dims: [100, 50, 10] as [number, number, number],
  spacing: [1, 2, 3] as [number, number, number],
  origin: [10, 20, 30] as [number, number, number],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number],
};
const axial = viewFrame(meta, viewGeometry(meta.direction, 'axial'));
const close = (a: readonly number[], b: readonly number[]): void => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));

describe('view frame', () => {
  it('centres on the volume and measures its in-plane extent from voxel corners', () => {
    close(axial.center, [10 + 49.5, 20 + 49, 30 + 13.5]);
    expect(axial.halfWidth).toBeCloseTo(50);
    expect(axial.halfHeight).toBeCloseTo(50);
    // Axial: patient left (+x) on the screen's right, anterior (−y) up.
    close(axial.right, [1, 0, 0]);
    close(axial.up, [0, -1, 0]);
  });

  it('uses the slice plane of each view', () => {
    const coronal = viewFrame(meta, viewGeometry(meta.direction, 'coronal'));
    expect(coronal.halfWidth).toBeCloseTo(50);
    expect(coronal.halfHeight).toBeCloseTo(15);
  });
});

describe('view camera', () => {
  it('fits the volume at zoom 1, whichever side limits', () => {
    const tall = viewCamera(axial, 200, 400, FIT, 1);
    expect(tall.parallelScale).toBeCloseTo(100); // the width limits: 100 mm over 200 px
    expect(tall.mmPerPx).toBeCloseTo(0.5);
    const wide = viewCamera(axial, 400, 200, FIT, 1);
    expect(wide.parallelScale).toBeCloseTo(50);
  });

  it('maps the centre to the middle and back', () => {
    const cam = viewCamera(axial, 300, 200, { zoom: 2, pan: [5, -3] });
    const p: Vec3 = [40, 70, 43.5];
    const [x, y] = worldToScreen(cam, p);
    close(screenToWorld(cam, x, y), p);
    close(worldToScreen(cam, cam.focal), [150, 100]);
  });

  it('puts anterior points higher on screen', () => {
    const cam = viewCamera(axial, 200, 200, FIT);
    const [, yAnterior] = worldToScreen(cam, [59.5, 20, 43.5]);
    const [, yPosterior] = worldToScreen(cam, [59.5, 110, 43.5]);
    expect(yAnterior).toBeLessThan(yPosterior);
  });

  it('zooms about the pointer: the point under it stays put', () => {
    const before = viewCamera(axial, 300, 200, FIT);
    const pointer: [number, number] = [220, 60];
    const under = screenToWorld(before, ...pointer);
    const zp = zoomAt(FIT, 2, [pointer[0] - 150, pointer[1] - 100], before.mmPerPx);
    expect(zp.zoom).toBe(2);
    const after = viewCamera(axial, 300, 200, zp);
    close(worldToScreen(after, under), pointer);
    expect(after.mmPerPx).toBeCloseTo(before.mmPerPx / 2);
  });

  it('clamps the zoom', () => {
    expect(zoomAt(FIT, 1e6, [0, 0], 1).zoom).toBe(MAX_ZOOM);
  });

  it('pans so the image follows the pointer', () => {
    const cam = viewCamera(axial, 300, 200, FIT);
    const p: Vec3 = [50, 60, 43.5];
    const [x, y] = worldToScreen(cam, p);
    const moved = viewCamera(axial, 300, 200, panBy(FIT, 30, -20, cam.mmPerPx));
    close(worldToScreen(moved, p), [x + 30, y - 20]);
  });
});
