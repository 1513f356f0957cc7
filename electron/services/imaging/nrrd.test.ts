import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../common/contract/result.js';
import { nibabelInfo, PROBES } from '../../../test-support/nibabel.js';
import { writeNrrd, type NrrdFixture } from '../../../test-support/nrrd-writer.js';
import { TOTALSEG } from '../../../test-support/paths.js';
import { readVolume } from './read-volume.js';
import { valueRange } from './volume.js';

const dir = mkdtempSync(join(tmpdir(), 'hsam-nrrd-'));
const sources = ['example_mr_sm.nii.gz', 'example_seg.nii.gz'].map((f) => join(TOTALSEG, f));
const refs = nibabelInfo(sources);

const variants: readonly Omit<NrrdFixture, 'source' | 'path'>[] = [
  { space: 'right-anterior-superior', encoding: 'gzip', detached: false },
  { space: 'left-posterior-superior', encoding: 'raw', detached: false },
  { space: 'right-anterior-superior', encoding: 'raw', detached: true },
];

describe('readNrrd against nibabel (fixtures written from the shared NIfTI)', () => {
  sources.forEach((source, n) => {
    variants.forEach((v, m) => {
      const ext = v.detached ? '.nhdr' : n === 1 ? '.seg.nrrd' : '.nrrd';
      const path = join(dir, `v${n}-${m}${ext}`);
      it(`${path.split('/').pop()}: ${v.space}, ${v.encoding}${v.detached ? ', detached' : ''}`, async () => {
        writeNrrd({ source, path, ...v });
        const ref = refs[n];
        if (!ref) throw new Error('no reference');
        const vol = await readVolume(path);
        expect([...vol.dims]).toEqual(ref.dims);
        vol.spacing.forEach((s, i) => expect(s).toBeCloseTo(ref.spacing[i] as number, 3));
        vol.origin.forEach((o, i) => expect(o).toBeCloseTo(ref.origin[i] as number, 3));
        vol.direction.forEach((d, i) => expect(d).toBeCloseTo(ref.direction[i] as number, 5));
        expect(valueRange(vol.voxels)).toEqual({ min: ref.min, max: ref.max });
        const [nx, ny, nz] = vol.dims;
        const ours = PROBES.filter(([i, j, k]) => i < nx && j < ny && k < nz).map(([i, j, k]) => vol.voxels[i + nx * (j + ny * k)]);
        expect(ours).toEqual(ref.probes);
      });
    });
  });
});

describe('readNrrd rejects what it cannot read exactly', () => {
  const base = ['NRRD0004', 'type: short', 'dimension: 3', 'sizes: 2 2 2', 'space: left-posterior-superior', 'space directions: (1,0,0) (0,1,0) (0,0,1)', 'encoding: raw'];
  async function error(name: string, header: string[], body: Uint8Array): Promise<string> {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([Buffer.from(`${header.join('\n')}\n\n`), body]));
    const e: unknown = await readVolume(path).then(
      () => null,
      (x: unknown) => x,
    );
    if (!(e instanceof UserFacingError)) throw new Error(`expected a UserFacingError, got ${String(e)}`);
    return e.message;
  }
  it('truncated data', async () => {
    expect(await error('short.nrrd', base, new Uint8Array(10))).toBe('short.nrrd: the data is truncated: 16 bytes of voxels expected, 10 present.');
  });
  it('layers of a 4-D segmentation', async () => {
    const h = [...base.slice(0, 2), 'dimension: 4', 'sizes: 3 2 2 2', 'space: left-posterior-superior', 'space directions: none (1,0,0) (0,1,0) (0,0,1)', 'encoding: raw'];
    expect(await error('layers.seg.nrrd', h, new Uint8Array(48))).toBe(
      'layers.seg.nrrd: it holds 3 values per voxel (layers or components); open a single 3-D label map or image.',
    );
  });
  it('a space that is not a patient space', async () => {
    const h = base.map((l) => (l.startsWith('space:') ? 'space: scanner-xyz' : l));
    expect(await error('scanner.nrrd', h, new Uint8Array(16))).toBe('scanner.nrrd: NRRD space "scanner-xyz" is not a patient space (use RAS or LPS).');
  });
  it('not NRRD at all', async () => {
    writeFileSync(join(dir, 'fake.nrrd'), readFileSync(join(TOTALSEG, 'totalsegmentator_classes.json')));
    await expect(readVolume(join(dir, 'fake.nrrd'))).rejects.toThrow('fake.nrrd is not a NRRD file.');
  });
});
