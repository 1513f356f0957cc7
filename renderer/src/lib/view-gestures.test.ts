import { describe, expect, it } from 'vitest';
import { dragZoomFactor, gestureFor, wheelZoomFactor } from './view-gestures';

const press = (button: number, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }> = {}) => ({
  button,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe('gestureFor', () => {
  it('a plain left press does what the tool does', () => {
    for (const tool of ['navigate', 'windowLevel', 'zoom', 'pan', 'paint', 'seed', 'polygon'] as const) expect(gestureFor(press(0), tool)).toBe(tool);
  });

  it('right button and Ctrl/⌘ + left adjust the window, whatever the tool', () => {
    expect(gestureFor(press(2), 'paint')).toBe('windowLevel');
    expect(gestureFor(press(0, { ctrlKey: true }), 'paint')).toBe('windowLevel');
    expect(gestureFor(press(0, { metaKey: true }), 'navigate')).toBe('windowLevel');
  });

  it('middle button and Shift + left pan', () => {
    expect(gestureFor(press(1), 'paint')).toBe('pan');
    expect(gestureFor(press(0, { shiftKey: true }), 'navigate')).toBe('pan');
  });

  it('other buttons do nothing', () => {
    expect(gestureFor(press(3), 'navigate')).toBeNull();
  });
});

describe('zoom factors', () => {
  it('zoom in upward, out downward, symmetric', () => {
    expect(dragZoomFactor(-150)).toBeCloseTo(2);
    expect(dragZoomFactor(150)).toBeCloseTo(0.5);
    expect(wheelZoomFactor(-100)).toBeCloseTo(1.25);
    expect(wheelZoomFactor(100) * wheelZoomFactor(-100)).toBeCloseTo(1);
  });
});
