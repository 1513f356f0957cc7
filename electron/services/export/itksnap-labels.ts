/**
 * ITK-SNAP label description file, the text ITK-SNAP writes from Segmentation > Export Label
 * Descriptions and reads back with Import: a `#` header, then one line per label,
 * `IDX -R- -G- -B- -A-- VIS MSH "LABEL"`, in ITK-SNAP's own column layout (ColorLabelTable::SaveToFile).
 * We write it beside a NIfTI label map as `<name>.label.txt`, so ITK-SNAP (or any tool that
 * reads this format) shows our names and colours.
 *
 * Invariants: label 0 comes first as ITK-SNAP's "Clear Label" (black, alpha 0, hidden), then one
 * line per segment in label-value order, opaque, visible in 2-D and 3-D. ITK-SNAP reads a name
 * up to the next double quote and a line up to the newline, so in names `"` becomes `'` and
 * control characters become spaces; everything else (UTF-8 included) is kept.
 *
 * Rejected by the parser, with the line number as ITK-SNAP does: lines that are not seven
 * numbers and a quoted name, colours outside 0..255, alpha outside 0..1, repeated indices.
 */
import type { ExportSegment } from './segments.js';

export interface ItkSnapLabel {
  readonly index: number;
  /** sRGB 0..255. */
  readonly rgb: readonly [number, number, number];
  /** Opacity 0..1 (ITK-SNAP's header calls it transparency; 1 is opaque). */
  readonly alpha: number;
  readonly visible: boolean;
  readonly mesh: boolean;
  readonly name: string;
}

const HEADER = [
  '################################################',
  '# ITK-SnAP Label Description File',
  '# File format: ',
  '# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL',
  '# Fields: ',
  '#    IDX:   Zero-based index ',
  '#    -R-:   Red color component (0..255)',
  '#    -G-:   Green color component (0..255)',
  '#    -B-:   Blue color component (0..255)',
  '#    -A-:   Label transparency (0.00 .. 1.00)',
  '#    VIS:   Label visibility (0 or 1)',
  '#    IDX:   Label mesh visibility (0 or 1)',
  '#  LABEL:   Label description ',
  '################################################',
];

/** The label description path beside a NIfTI label map: `liver.nii.gz` → `liver.label.txt`. */
export function itkSnapLabelPath(niftiPath: string): string {
  return `${niftiPath.replace(/\.nii(\.gz)?$/i, '')}.label.txt`;
}

/** A name as ITK-SNAP can read it back: no double quotes, no line breaks. */
export function itkSnapName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return name.replace(/"/g, "'").replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** The table we write for these segments: Clear Label first, then each segment. */
export function itkSnapLabelsOf(segments: readonly ExportSegment[]): ItkSnapLabel[] {
  return [
    { index: 0, rgb: [0, 0, 0], alpha: 0, visible: false, mesh: false, name: 'Clear Label' },
    ...segments.map((s) => ({ index: s.labelValue, rgb: s.color, alpha: 1, visible: true, mesh: true, name: itkSnapName(s.name) })),
  ];
}

export function encodeItkSnapLabels(labels: readonly ItkSnapLabel[]): string {
  const pad = (x: number | string, n: number): string => String(x).padStart(n);
  const lines = labels.map(
    (l) =>
      `  ${pad(l.index, 3)}   ${pad(l.rgb[0], 3)}  ${pad(l.rgb[1], 3)}  ${pad(l.rgb[2], 3)}  ${pad(Number(l.alpha.toPrecision(2)), 7)}` +
      `  ${l.visible ? 1 : 0}  ${l.mesh ? 1 : 0}    "${itkSnapName(l.name)}"`,
  );
  return `${[...HEADER, ...lines].join('\n')}\n`;
}

const LINE = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9.eE+-]+)\s+(\d+)\s+(\d+)\s*"([^"]*)"/;

/** Parse a label description file the way ITK-SNAP's importer does; throws on a bad line. */
export function parseItkSnapLabels(text: string): ItkSnapLabel[] {
  const out: ItkSnapLabel[] = [];
  const seen = new Set<number>();
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.length === 0 || line.startsWith('#')) return;
    const m = LINE.exec(line);
    const bad = (why: string): Error => new Error(`label descriptions, line ${n + 1}: ${why}`);
    if (!m) throw bad('expected IDX R G B A VIS MSH "LABEL"');
    const [index, r, g, b, alpha, vis, mesh] = m.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
    if ([r, g, b].some((c) => c > 255)) throw bad('a colour component is above 255');
    if (!(alpha >= 0 && alpha <= 1)) throw bad('alpha is outside 0..1');
    if (seen.has(index)) throw bad(`label ${index} is described twice`);
    seen.add(index);
    out.push({ index, rgb: [r, g, b], alpha, visible: vis !== 0, mesh: mesh !== 0, name: m[8] ?? '' });
  });
  return out;
}
