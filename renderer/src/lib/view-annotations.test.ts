import { describe, expect, it } from 'vitest';
import { ANNOTATION_COLORS, placeAnnotation, sameAnnotation, viewAnnotations, type AnnotationInput } from './view-annotations';

const input: AnnotationInput = {
  title: 'Axial',
  letters: { left: 'R', right: 'L', top: 'A', bottom: 'P' },
  slice: 150,
  sliceCount: 300,
  sliceStatus: null,
  windowLevel: { width: 400, level: 40 },
  bar: { mm: 100, px: 102.4, label: '10 cm' },
};

describe('view annotations', () => {
  it('says what the view shows: name, letters, 1-based slice, W/L and the scale bar', () => {
    const a = viewAnnotations(input);
    const text = (id: string): string => a.get(id)?.runs.map((r) => r.text).join('') ?? '';
    expect(text('title')).toBe('Axial');
    expect(['left', 'right', 'top', 'bottom'].map((e) => text(`letter-${e}`))).toEqual(['R', 'L', 'A', 'P']);
    expect(a.get('letter-top')).toMatchObject({ anchor: 'top', bold: true });
    expect(text('slice')).toBe('Slice 151 / 300');
    expect(text('window')).toBe('W 400 L 40');
    expect(a.get('scale-bar')).toMatchObject({ anchor: 'above-bottom-right', barPx: 102.4, runs: [{ text: '10 cm' }] });
  });

  it('colours the slice status by its kind, and draws no scale bar without one', () => {
    const a = viewAnnotations({ ...input, sliceStatus: 'auto (liver)', bar: { mm: 0, px: 0, label: '0 mm' } });
    expect(a.get('slice')?.runs).toEqual([
      { text: 'Slice 151 / 300', color: ANNOTATION_COLORS.text },
      { text: ' · auto (liver)', color: ANNOTATION_COLORS.status['auto'] },
    ]);
    expect(a.has('scale-bar')).toBe(false);
    expect(viewAnnotations({ ...input, sliceStatus: 'reviewed' }).get('slice')?.runs[1]?.color).toBe(ANNOTATION_COLORS.status['reviewed']);
  });

  it('places each anchor inside the view, clear of the edges, centred where it should be', () => {
    const [vw, vh, w, h] = [548, 388, 20, 17];
    expect(placeAnnotation('top-left', w, h, vw, vh)).toEqual([8, 6]);
    expect(placeAnnotation('top', w, h, vw, vh)).toEqual([264, 6]);
    expect(placeAnnotation('bottom', w, h, vw, vh)).toEqual([264, 365]);
    expect(placeAnnotation('left', w, h, vw, vh)).toEqual([8, 185.5]);
    expect(placeAnnotation('right', w, h, vw, vh)).toEqual([520, 185.5]);
    expect(placeAnnotation('bottom-left', w, h, vw, vh)).toEqual([8, 365]);
    expect(placeAnnotation('bottom-right', w, h, vw, vh)).toEqual([520, 365]);
    // The scale bar stands clear above the W/L line.
    const [, barTop] = placeAnnotation('above-bottom-right', w, 23, vw, vh);
    expect(barTop + 23).toBeLessThanOrEqual(365);
  });

  it('tells a changed annotation from the same one (only a change is drawn again)', () => {
    const a = viewAnnotations(input);
    const b = viewAnnotations({ ...input });
    for (const [id, x] of a) expect(sameAnnotation(x, b.get(id)!)).toBe(true);
    const c = viewAnnotations({ ...input, slice: 151, windowLevel: { width: 350, level: 40 }, bar: { ...input.bar, px: 80 } });
    expect(['slice', 'window', 'scale-bar'].map((id) => sameAnnotation(a.get(id)!, c.get(id)!))).toEqual([false, false, false]);
    expect(sameAnnotation(a.get('title')!, c.get('title')!)).toBe(true);
  });
});
