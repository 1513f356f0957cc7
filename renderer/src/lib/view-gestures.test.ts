import { describe, expect, it } from 'vitest';
import { dragZoomFactor, pressRole, wheelZoomFactor } from './view-gestures';

const press = (button: number, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }> = {}) => ({
  button,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe('pressRole', () => {
  it('a plain left press goes to the active tool', () => {
    expect(pressRole(press(0))).toBe('active');
  });

  it('right button and Ctrl/⌘ + left adjust the window, whatever the tool', () => {
    expect(pressRole(press(2))).toBe('windowLevel');
    expect(pressRole(press(0, { ctrlKey: true }))).toBe('windowLevel');
    expect(pressRole(press(0, { metaKey: true }))).toBe('windowLevel');
  });

  it('middle button and Shift + left pan', () => {
    expect(pressRole(press(1))).toBe('pan');
    expect(pressRole(press(0, { shiftKey: true }))).toBe('pan');
  });

  it('other buttons do nothing', () => {
    expect(pressRole(press(3))).toBeNull();
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
