import { describe, expect, it } from 'vitest';
import { encodeItkSnapLabels, itkSnapLabelPath, itkSnapLabelsOf, parseItkSnapLabels } from './itksnap-labels.js';
import type { ExportSegment } from './segments.js';

const segment = (labelValue: number, name: string, color: [number, number, number]): ExportSegment => ({
  labelValue,
  name,
  color,
  algorithmType: 'MANUAL',
  category: { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' },
  type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' },
});

describe('ITK-SNAP label descriptions', () => {
  it("writes ITK-SNAP's own header and column layout, Clear Label first", () => {
    const text = encodeItkSnapLabels(itkSnapLabelsOf([segment(5, 'liver', [221, 130, 101]), segment(12, 'Leber', [7, 80, 255])]));
    const lines = text.split('\n');
    expect(lines[1]).toBe('# ITK-SnAP Label Description File');
    expect(lines[3]).toBe('# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL');
    // The lines ITK-SNAP's ColorLabelTable::SaveToFile writes for the same labels.
    expect(lines.slice(14)).toEqual([
      '    0     0    0    0        0  0  0    "Clear Label"',
      '    5   221  130  101        1  1  1    "liver"',
      '   12     7   80  255        1  1  1    "Leber"',
      '',
    ]);
  });

  it('reads back what it writes; quotes and line breaks in names become what ITK-SNAP can read', () => {
    const table = itkSnapLabelsOf([segment(1, 'right "kidney"\nupper pole', [1, 2, 3]), segment(255, 'Bauchspeicheldrüse', [255, 255, 255])]);
    const back = parseItkSnapLabels(encodeItkSnapLabels(table));
    expect(back).toEqual(table);
    expect(back.map((l) => l.name)).toEqual(['Clear Label', "right 'kidney' upper pole", 'Bauchspeicheldrüse']);
  });

  it('rejects what ITK-SNAP would reject, with the line number', () => {
    expect(() => parseItkSnapLabels('# header\n 1 255 0 0 1 1 1 "a"\n 2 255 0 "b"\n')).toThrow('label descriptions, line 3: expected IDX R G B A VIS MSH "LABEL"');
    expect(() => parseItkSnapLabels(' 1 256 0 0 1 1 1 "a"')).toThrow('line 1: a colour component is above 255');
    expect(() => parseItkSnapLabels(' 1 1 0 0 1 1 1 "a"\n 1 1 0 0 1 1 1 "b"')).toThrow('line 2: label 1 is described twice');
  });

  it('sits beside the label map', () => {
    expect(itkSnapLabelPath('/data/ct.labels.nii.gz')).toBe('/data/ct.labels.label.txt');
    expect(itkSnapLabelPath('/data/liver.nii')).toBe('/data/liver.label.txt');
  });
});
