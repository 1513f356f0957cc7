/**
 * What a pointer press in a slice view does. The modifier bindings work with any tool: right
 * button or Ctrl (⌘) + left adjusts window/level, middle button or Shift + left pans; a plain
 * left press does what the active tool does (lib/tools). Other buttons (back, forward) do nothing.
 */

export interface PressInfo {
  readonly button: number;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
}

/** Which tool a press goes to: a modifier binding's, the active tool's, or none. */
export function pressRole(press: PressInfo): 'windowLevel' | 'pan' | 'active' | null {
  if (press.button === 2) return 'windowLevel';
  if (press.button === 1) return 'pan';
  if (press.button !== 0) return null;
  if (press.ctrlKey || press.metaKey) return 'windowLevel';
  if (press.shiftKey) return 'pan';
  return 'active';
}

/** Zoom factor of a zoom-tool drag: up zooms in, doubling every 150 px. */
export function dragZoomFactor(dy: number): number {
  return 2 ** (-dy / 150);
}

/** Zoom factor of one wheel event (Ctrl + wheel): a notch (100 px) is 1.25×, up zooms in. */
export function wheelZoomFactor(deltaY: number): number {
  return 1.25 ** (-deltaY / 100);
}
