/**
 * `hsam export --classes` with the class tables other tools write: an ITK-SNAP label description
 * and a 3D Slicer colour table naming TotalSegmentator's CT labels (written here from its JSON
 * class list, in each tool's own layout), and a .seg.nrrd whose segments name the values. Known
 * organs keep their SNOMED CT coding (the .seg.nrrd's terminology, read back); unknown names get
 * Tissue and one warning; a value the table does not name is refused before anything is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHsam } from '../../test-support/cli.js';
import { TOTALSEG } from '../../test-support/paths.js';
import { readNrrdWithFields } from '../services/imaging/nrrd.js';
import { readSlicerSegments } from '../services/export/seg-nrrd.js';

const CT = join(TOTALSEG, 'example_ct_sm.nii.gz');
const LABELS = join(TOTALSEG, 'example_seg.nii.gz');
const total = (JSON.parse(readFileSync(join(TOTALSEG, 'totalsegmentator_classes.json'), 'utf8')) as { total: Record<string, string> }).total;
const dir = mkdtempSync(join(tmpdir(), 'hsam-export-tables-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entries = Object.entries(total).map(([v, name]) => [Number(v), name] as const).filter(([v]) => v > 0);
const itksnap = (): string => {
  const p = join(dir, 'total.label.txt');
  writeFileSync(p, ['# ITK-SnAP Label Description File', '    0     0    0    0        0  0  0    "Clear Label"', ...entries.map(([v, n]) => `  ${String(v).padStart(3)}   ${(v * 7) % 256}  ${(v * 13) % 256}  ${(v * 29) % 256}        1  1  1    "${n}"`)].join('\n'));
  return p;
};
const ctbl = (names: readonly (readonly [number, string])[] = entries): string => {
  const p = join(dir, `total-${names.length}.ctbl`);
  writeFileSync(p, ['# Color table file total.ctbl', `# ${names.length + 1} values`, '0 Background 0 0 0 0', ...names.map(([v, n]) => `${v} ${n} 10 20 30 255`)].join('\n'));
  return p;
};
const exportWith = (classes: string, format: string, out: string) => runHsam(['export', CT, '--labels', LABELS, '--classes', classes, '--format', format, '--out', out]);

describe('hsam export --classes from other tools’ tables', () => {
  for (const [kind, table] of [['ITK-SNAP label description', itksnap], ['3D Slicer colour table', () => ctbl()]] as const) {
    it(`${kind}: 41 segments, the Synapse organs coded from the schema, the rest Tissue with one warning`, async () => {
      const out = join(dir, `${kind.replace(/\W+/g, '-')}.seg.nrrd`);
      const r = await exportWith(table(), 'seg-nrrd', out);
      expect(r.code, r.err).toBe(0);
      const summary = JSON.parse(r.out) as { segments: { labelValue: number; name: string }[]; warnings: string[] };
      expect(summary.segments).toHaveLength(41);
      expect(summary.segments.find((s) => s.labelValue === 2)!.name).toBe('Right kidney');
      expect(summary.warnings.filter((w) => w.includes('not in the label schemas'))).toEqual([expect.stringMatching(/^33 classes are not in the label schemas \(.*\): coded as Tissue \(SNOMED CT 85756007\) under their own name\.$/)]);
      const segs = readSlicerSegments((await readNrrdWithFields(out)).keyValues);
      const tag = (v: number): string => segs.find((s) => s.labelValue === v)!.tags['TerminologyEntry']!;
      expect(tag(5)).toContain('SCT^10200004^Liver');
      expect(tag(2)).toContain('SCT^64033007^Kidney');
      expect(tag(2)).toContain('SCT^24028007^Right');
      expect(tag(10)).toContain('SCT^85756007^Tissue');
    });
  }

  it('a .seg.nrrd names the values of a plain label map', async () => {
    const named = join(dir, 'ITK-SNAP-label-description.seg.nrrd');
    const r = await exportWith(named, 'nifti', join(dir, 'from-segnrrd.nii.gz'));
    expect(r.code, r.err).toBe(0);
    const names = Object.fromEntries((JSON.parse(r.out) as { segments: { labelValue: number; name: string }[] }).segments.map((s) => [s.labelValue, s.name]));
    expect([names[1], names[5], names[10]]).toEqual(['Spleen', 'Liver', total['10']]);
  });

  it('refuses a table that leaves a value unnamed, writing nothing', async () => {
    const out = join(dir, 'x.nii.gz');
    const r = await exportWith(ctbl(entries.filter(([v]) => v !== 5)), 'nifti', out);
    expect([r.code, r.err]).toEqual([1, `hsam: The labels hold value 5, which the class table ${join(dir, 'total-116.ctbl')} does not name.\n`]);
    expect(existsSync(out)).toBe(false);
  });
});
