import { describe, expect, it } from 'vitest';
import { labelAlpha, type LabelStyle } from './label-style';

const style: LabelStyle = {
  classes: [],
  opacity: 0.5,
  hidden: new Set([3]),
  classOpacity: new Map([
    [2, 0.4],
    [4, 3],
  ]),
};

describe('labelAlpha', () => {
  it('multiplies the global and the class opacity', () => {
    expect(labelAlpha(style, 1)).toBe(0.5);
    expect(labelAlpha(style, 2)).toBeCloseTo(0.2);
  });

  it('never draws background or hidden classes, and clamps', () => {
    expect(labelAlpha(style, 0)).toBe(0);
    expect(labelAlpha(style, 3)).toBe(0);
    expect(labelAlpha(style, 4)).toBe(1);
  });

  it('draws outlines and hatching opaque whatever the fill opacity (a class set to 0 stays off)', () => {
    const outlined: LabelStyle = { ...style, mode: 'outline' };
    expect(labelAlpha(outlined, 1)).toBe(1);
    expect(labelAlpha(outlined, 2)).toBe(1);
    expect(labelAlpha(outlined, 3)).toBe(0);
    expect(labelAlpha({ ...outlined, classOpacity: new Map([[1, 0]]) }, 1)).toBe(0);
    expect(labelAlpha({ ...style, mode: 'hatch' }, 1)).toBe(1);
  });
});
