import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOTALSEG } from '../../../test-support/paths.js';
import { readVolume } from '../imaging/read-volume.js';
import { ClassTableError, readJsonClassTable } from './json-class-table.js';

const TABLE = join(TOTALSEG, 'totalsegmentator_classes.json');
const values = async (f: string): Promise<number[]> => [...new Set((await readVolume(join(TOTALSEG, f))).voxels)];

describe('readJsonClassTable on TotalSegmentator’s class list', () => {
  it('picks `total` for the CT labels without a key (only it names every value)', async () => {
    const classes = await readJsonClassTable(TABLE, await values('example_seg_dicom.nii.gz'));
    expect(classes).toHaveLength(118);
    expect(classes.map((c) => c.index)).toEqual([...Array(118).keys()]);
    expect(classes[1]!.name).toBe('spleen');
  });

  it('asks for a key when both tables name every value (the MR labels), and honours #total_mr', async () => {
    const v = await values('example_seg_mr.nii.gz');
    await expect(readJsonClassTable(TABLE, v)).rejects.toThrow(new ClassTableError(`More than one table (total, total_mr) in ${TABLE} names every label value; pick one with ${TABLE}#<key>.`));
    const mr = await readJsonClassTable(`${TABLE}#total_mr`, v);
    expect(mr).toHaveLength(51);
  });
});
