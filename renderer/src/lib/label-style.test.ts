import { describe, expect, it } from 'vitest';
import { labelAlpha, labelTable, type LabelStyle } from './label-style';

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

describe('labelTable', () => {
  const coloured: LabelStyle = {
    ...style,
    classes: [
      { index: 1, name: 'liver', color: [221, 130, 101] },
      { index: 2, name: 'spleen', color: [157, 108, 162] },
      { index: 4, name: 'aorta', color: [224, 97, 76] },
    ],
  };
  const entry = (t: Uint8Array, v: number): number[] => [...t.subarray(4 * v, 4 * v + 4)];

  it('gives each byte value its class colour and opacity, background and hidden classes clear', () => {
    const t = labelTable(coloured);
    expect(t.length).toBe(1024);
    expect(entry(t, 0)[3]).toBe(0);
    expect(entry(t, 1)).toEqual([221, 130, 101, 128]);
    expect(entry(t, 2)).toEqual([157, 108, 162, 51]);
    expect(entry(t, 3)[3]).toBe(0);
    expect(entry(t, 4)).toEqual([224, 97, 76, 255]);
  });

  it('draws values past the last class as the last class (as a clamped transfer function), unknown ones magenta', () => {
    const t = labelTable(coloured);
    expect(entry(t, 200)).toEqual(entry(t, 4));
    expect(entry(t, 255)).toEqual(entry(t, 4));
    expect(entry(labelTable({ ...coloured, hidden: new Set() }), 3)).toEqual([255, 0, 255, 128]);
  });
});
