import { describe, expect, it } from 'vitest';
import { extractSlice, hatch, outline, slicePlane } from './label-slice';

// 3 × 2 × 2 volume, value = index.
const dims = [3, 2, 2] as const;
const volume = Uint8Array.from({ length: 12 }, (_, i) => i);

describe('extractSlice', () => {
  it('takes a k slice row by row', () => {
    const out = new Uint8Array(6);
    extractSlice(volume, dims, 2, 1, out);
    expect([...out]).toEqual([6, 7, 8, 9, 10, 11]);
  });

  it('takes a j slice with i fastest, then k', () => {
    const out = new Uint8Array(6);
    extractSlice(volume, dims, 1, 1, out);
    expect([...out]).toEqual([3, 4, 5, 9, 10, 11]);
  });

  it('takes an i slice with j fastest, then k', () => {
    expect(slicePlane(dims, 0)).toEqual({ u: 1, v: 2, width: 2, height: 2 });
    const out = new Uint8Array(4);
    extractSlice(volume, dims, 0, 2, out);
    expect([...out]).toEqual([2, 5, 8, 11]);
  });

  it('is empty outside the volume', () => {
    const out = new Uint8Array(6).fill(9);
    extractSlice(volume, dims, 2, 5, out);
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('outline', () => {
  const grid = (rows: string[]): Uint8Array => Uint8Array.from(rows.join(''), (c) => Number(c));
  const show = (a: Uint8Array, w: number): string[] => Array.from({ length: a.length / w }, (_, y) => [...a.subarray(y * w, y * w + w)].join(''));

  it('keeps the boundary of each class and empties the inside', () => {
    const src = grid(['000000', '011110', '011110', '011220', '011220', '000000']);
    const out = new Uint8Array(src.length);
    outline(src, 6, 6, out);
    expect(show(out, 6)).toEqual(['000000', '011110', '010110', '011220', '011220', '000000']);
  });

  it('counts the slice edge as a boundary', () => {
    const src = new Uint8Array(9).fill(3);
    const out = new Uint8Array(9);
    outline(src, 3, 3, out);
    expect(show(out, 3)).toEqual(['333', '303', '333']);
  });

  it('has fewer, but some, pixels than the fill', () => {
    const src = new Uint8Array(20 * 20);
    for (let y = 5; y < 15; y++) src.fill(1, y * 20 + 5, y * 20 + 15);
    const out = new Uint8Array(src.length);
    outline(src, 20, 20, out);
    const n = out.reduce((a, v) => a + (v ? 1 : 0), 0);
    expect(n).toBe(36);
  });
});

describe('hatch (a tool preview)', () => {
  it('keeps the boundary and every third diagonal inside, nothing outside', () => {
    const src = new Uint8Array(7 * 7);
    for (let y = 1; y < 6; y++) src.fill(2, y * 7 + 1, y * 7 + 6);
    const out = new Uint8Array(src.length);
    hatch(src, 7, 7, out);
    const rows = Array.from({ length: 7 }, (_, y) => Array.from(out.subarray(y * 7, y * 7 + 7)).join(''));
    expect(rows).toEqual(['0000000', '0222220', '0200220', '0202020', '0220020', '0222220', '0000000']);
  });
});

describe('backhatch (the human-edits overlay)', () => {
  it('hatches along the other diagonal than a preview, so the two never read as one', () => {
    const src = new Uint8Array(7 * 7);
    for (let y = 1; y < 6; y++) src.fill(1, y * 7 + 1, y * 7 + 6);
    const out = new Uint8Array(src.length);
    hatch(src, 7, 7, out, true);
    const rows = Array.from({ length: 7 }, (_, y) => Array.from(out.subarray(y * 7, y * 7 + 7)).join(''));
    expect(rows).toEqual(['0000000', '0111110', '0110010', '0101010', '0100110', '0111110', '0000000']);
  });
});
