/** A class as a label file's own table names it: its label value, name and (when given) colour. */
export interface TableClass {
  readonly value: number;
  readonly name: string;
  readonly color?: readonly [number, number, number];
}

export class ClassTableError extends Error {}

/** A colour per value that differs between neighbours (golden-angle hues), for tables without colours. */
export function colourFor(v: number): [number, number, number] {
  const h = (v * 137.508) % 360;
  const f = (n: number): number => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (0.5 - 0.45 * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
