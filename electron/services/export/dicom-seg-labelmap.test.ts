/**
 * `hsam export --format dicom-seg --seg-type labelmap` on the shared DICOM series with
 * TotalSegmentator's labels and class table: a Label Map Segmentation (Supplement 243) that
 * pydicom + nibabel place voxel for voxel on the source images, that our importer reads back to
 * the same labels as the BINARY export, and what Debian's dciodvfy can check of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHsam } from '../../../test-support/cli.js';
import { TOTALSEG } from '../../../test-support/paths.js';
import { PYTHON } from '../../../test-support/python.js';
import { segAgainstNifti } from '../../../test-support/seg-against-nifti.js';
import { readVolume } from '../imaging/read-volume.js';
import { importLabelFile } from '../interop/import-labels.js';

const SERIES = join(TOTALSEG, 'example_ct_dicom');
const LABELS = join(TOTALSEG, 'example_seg_dicom.nii.gz');
const dir = mkdtempSync(join(tmpdir(), 'hsam-labelmap-'));
const out = (t: string): string => join(dir, `${t}.seg.dcm`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** dciodvfy's error lines, sorted and counted. */
function dciodvfyErrors(path: string): Record<string, number> {
  const v = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
  const counts: Record<string, number> = {};
  for (const l of `${v.stdout}\n${v.stderr}`.split('\n')) if (l.startsWith('Error')) counts[l] = (counts[l] ?? 0) + 1;
  return counts;
}

beforeAll(async () => {
  for (const t of ['binary', 'labelmap']) {
    const r = await runHsam(['export', SERIES, '--labels', LABELS, '--classes', join(TOTALSEG, 'totalsegmentator_classes.json'), '--algorithm', 'TotalSegmentator', '--format', 'dicom-seg', '--seg-type', t, '--out', out(t), '--provenance', 'auto']);
    expect([r.code, r.err]).toEqual([0, '']);
  }
}, 180_000);

describe('DICOM SEG as LABELMAP', () => {
  it('places every voxel where pydicom + nibabel put TotalSegmentator’s labels, one frame per labelled slice', () => {
    expect(segAgainstNifti(out('labelmap'), SERIES, LABELS)).toEqual({ segments: 31, frames: 20, referenced: 20, sources: 20, mismatched: 0, labelled: 739_420 });
    const ds = JSON.parse(
      spawnSync(PYTHON, ['-c', "import sys, json, pydicom\nd = pydicom.dcmread(sys.argv[1])\nprint(json.dumps([d.SOPClassUID, d.file_meta.MediaStorageSOPClassUID, d.SegmentationType, d.BitsAllocated, d.PixelPaddingValue, 'SegmentIdentificationSequence' in d.PerFrameFunctionalGroupsSequence[0]]))", out('labelmap')], { encoding: 'utf8' }).stdout,
    ) as unknown[];
    expect(ds).toEqual(['1.2.840.10008.5.1.4.1.1.66.7', '1.2.840.10008.5.1.4.1.1.66.7', 'LABELMAP', 8, 0, false]);
  });

  it('is much smaller than BINARY for 31 segments, and reads back to the same labels and names', async () => {
    const [binary, labelmap] = [statSync(out('binary')).size, statSync(out('labelmap')).size];
    // 520 one-bit frames against 20 eight-bit ones.
    expect(labelmap).toBeLessThan(binary / 3);
    const series = await readVolume(SERIES);
    const a = await importLabelFile(out('binary'), series);
    const b = await importLabelFile(out('labelmap'), series);
    expect(b.classes).toEqual(a.classes);
    expect(b.classes).toHaveLength(31);
    expect(Buffer.compare(Buffer.from(a.labels), Buffer.from(b.labels))).toBe(0);
  }, 60_000);

  it('dciodvfy: BINARY passes; LABELMAP’s SOP class is unknown to it, and checked as a Segmentation it only objects to what Supplement 243 changed', () => {
    expect(dciodvfyErrors(out('binary'))).toEqual({});
    // Debian's dciodvfy predates Supplement 243: it has no IOD for the Label Map SOP class.
    expect(dciodvfyErrors(out('labelmap'))).toEqual({ 'Error - Information Object Not found': 1 });
    // The same dataset under the Segmentation Storage class: everything else of the IOD is valid.
    const relabelled = join(dir, 'labelmap-as-seg.dcm');
    spawnSync(PYTHON, ['-c', "import sys, pydicom\nd = pydicom.dcmread(sys.argv[1])\nd.SOPClassUID = d.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.66.4'\nd.save_as(sys.argv[2])", out('labelmap'), relabelled]);
    const errors = dciodvfyErrors(relabelled);
    expect(Object.keys(errors).sort()).toEqual([
      'Error - Missing attribute Type 1 Required Element=<SegmentIdentificationSequence> Module=<SegmentationMacro>',
      'Error - Unrecognized enumerated value <LABELMAP> for value 1 of attribute <Segmentation Type>',
    ]);
  });
});
