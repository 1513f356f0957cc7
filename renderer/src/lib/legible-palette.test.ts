import { describe, expect, it } from 'vitest';
import type { ModelClass } from '../../../common/contract/segmentation';
import { hue, legibleClasses } from './legible-palette';

/** The demo model's classes as its card (native-models/models/demo/model.json) gives them; the renderer cannot read files. */
const card: { classes: ModelClass[] } = {
  classes: [
    { index: 0, name: 'background', color: [0, 0, 0] },
    { index: 1, name: 'spleen', color: [157, 108, 162] },
    { index: 2, name: 'kidney_right', color: [185, 102, 83] },
    { index: 3, name: 'kidney_left', color: [230, 159, 0] },
    { index: 4, name: 'gallbladder', color: [0, 158, 115] },
    { index: 5, name: 'liver', color: [221, 130, 101] },
    { index: 6, name: 'stomach', color: [86, 180, 233] },
    { index: 7, name: 'aorta', color: [213, 40, 40] },
    { index: 8, name: 'pancreas', color: [240, 228, 66] },
  ],
};

const hueGap = (a: number, b: number): number => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));

describe('legible palette', () => {
  it('gives liver and right kidney hues far apart (the card gives them one) and both kidneys the same colour', () => {
    const byName = (cs: readonly ModelClass[], n: string): ModelClass => cs.find((c) => c.name === n)!;
    expect(hueGap(hue(byName(card.classes, 'liver').color), hue(byName(card.classes, 'kidney_right').color))).toBeLessThan(15);
    const shown = legibleClasses(card.classes);
    expect(hueGap(hue(byName(shown, 'liver').color), hue(byName(shown, 'kidney_right').color))).toBeGreaterThan(90);
    expect(byName(shown, 'kidney_left').color).toEqual(byName(shown, 'kidney_right').color);
    // Organs that touch in the abdomen differ by at least 45° of hue.
    const touching = [
      ['liver', 'stomach'],
      ['liver', 'gallbladder'],
      ['spleen', 'kidney_left'],
      ['spleen', 'stomach'],
      ['pancreas', 'kidney_left'],
      ['pancreas', 'stomach'],
      ['aorta', 'pancreas'],
    ] as const;
    for (const [a, b] of touching) expect(hueGap(hue(byName(shown, a).color), hue(byName(shown, b).color)), `${a} vs ${b}`).toBeGreaterThan(45);
  });

  it('keeps background, indices, names and unknown classes as the card has them', () => {
    const other: ModelClass = { index: 9, name: 'tumour', color: [1, 2, 3] };
    const shown = legibleClasses([...card.classes, other]);
    expect(shown.map((c) => [c.index, c.name])).toEqual([...card.classes, other].map((c) => [c.index, c.name]));
    expect(shown[0]).toEqual(card.classes[0]);
    expect(shown.at(-1)).toEqual(other);
  });
});
