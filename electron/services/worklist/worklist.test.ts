import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { casesInFolder, casesInList, segmentOutputFor, WorklistStore } from './worklist.js';

const DATA = join(__dirname, '../../../../shared/data/totalsegmentator');
let dir: string;
let cases: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'worklist-'));
  cases = join(dir, 'cases');
  await cp(join(DATA, 'example_ct_sm.nii.gz'), join(cases, 'a_ct.nii.gz'));
  await cp(join(DATA, 'example_ct_sm.nii.gz'), join(cases, 'c_copy.nii.gz'));
  await cp(join(DATA, 'example_ct_dicom'), join(cases, 'b_dicom'), { recursive: true });
  await writeFile(join(cases, 'a_ct.labels.nii.gz'), ''); // an hsam segment result, not a case
  await writeFile(join(cases, 'notes.txt'), 'x');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('worklist', () => {
  it('finds the three studies of a folder, not the label file or other files', async () => {
    const found = await casesInFolder(cases);
    expect(found.map((c) => [c.path.slice(cases.length + 1), c.kind])).toEqual([
      ['a_ct.nii.gz', 'volume'],
      ['b_dicom', 'dicom-folder'],
      ['c_copy.nii.gz', 'volume'],
    ]);
  });

  it('reads a list file relative to its folder and names a missing line', async () => {
    await writeFile(join(dir, 'list.txt'), '# today\ncases/b_dicom\ncases/a_ct.nii.gz  # first\n');
    expect((await casesInList(join(dir, 'list.txt'))).map((c) => c.kind)).toEqual(['dicom-folder', 'volume']);
    await writeFile(join(dir, 'bad.txt'), 'cases/a_ct.nii.gz\ncases/gone.nii.gz\n');
    await expect(casesInList(join(dir, 'bad.txt'))).rejects.toThrow('bad.txt line 2: cases/gone.nii.gz does not exist.');
  });

  it('keeps statuses across a restart and picks the next unfinished case', async () => {
    const s = await WorklistStore.open(dir);
    const list = s.list(await casesInFolder(cases));
    expect(list.every((c) => c.mark === null)).toBe(true);
    const [a, b, c] = list.map((x) => x.path) as [string, string, string];
    await s.set(a, 'reviewed', 'ann', new Date('2026-01-02T03:04:05Z'));
    await s.set(b, 'auto-segmented', 'H-SAM 1.0');
    const again = await WorklistStore.open(dir);
    expect(again.mark(a)).toEqual({ status: 'reviewed', by: 'ann', at: '2026-01-02T03:04:05.000Z' });
    expect(again.mark(b)?.by).toBe('H-SAM 1.0');
    const relisted = again.list(await casesInFolder(cases));
    expect(again.next(relisted, a)?.path).toBe(b);
    await again.set(b, 'exported', 'ann');
    expect(again.next(again.list(await casesInFolder(cases)), a)?.path).toBe(c);
  });

  it('refuses a damaged worklist file instead of replacing it', async () => {
    await writeFile(join(dir, 'worklist.json'), '{"version":1,"cases":');
    await expect(WorklistStore.open(dir)).rejects.toThrow('is not a valid worklist file');
    expect(await readFile(join(dir, 'worklist.json'), 'utf8')).toBe('{"version":1,"cases":');
  });

  it("names hsam segment's output for a volume the way the CLI writes it", () => {
    expect(segmentOutputFor(cases, join(cases, 'a_ct.nii.gz'), cases)).toBe(join(cases, 'a_ct.labels.nii.gz'));
  });
});
