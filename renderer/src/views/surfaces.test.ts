import { describe, expect, it } from 'vitest';
import type { VolumeMeta } from '../../../common/contract/volume';
import { indexToPatient } from '../../../common/geometry';
import { patientImage } from './patient-image';
import { COARSE_FROM_VOXELS, diffAt, diffLabels, indexToWorldMatrix, surfaceStep } from './surfaces';

describe('placing surfaces in patient space', () => {
  // Oblique and sheared, so a transposed direction would show.
  const meta: Pick<VolumeMeta, 'origin' | 'spacing' | 'direction'> = {
    origin: [10, -20, 30],
    spacing: [0.7, 0.8, 2.5],
    direction: [0.96, -0.28, 0, 0.28, 0.96, 0.1, 0, 0, 0.995],
  };
  const ijk = [3, 5, 7] as const;
  const expected = indexToPatient(meta, ijk);

  it('the index→patient matrix agrees with the slice views’ voxel geometry', () => {
    const m = indexToWorldMatrix(meta);
    const p = [0, 1, 2].map((r) => m[r]! * ijk[0] + m[4 + r]! * ijk[1] + m[8 + r]! * ijk[2] + m[12 + r]!);
    p.forEach((v, r) => expect(v).toBeCloseTo(expected[r]!, 9));
  });

  it('the views’ vtk image data (transposed direction) puts a voxel at the same place', () => {
    const image = patientImage(meta, [8, 8, 8], new Uint8Array(512), 'v');
    const p = image.indexToWorld([...ijk], [0, 0, 0]);
    p.forEach((v, r) => expect(v).toBeCloseTo(expected[r]!, 9));
    image.delete();
  });
});

describe('surfaceStep', () => {
  const ct: Pick<VolumeMeta, 'dims' | 'spacing'> = { dims: [512, 512, 300], spacing: [0.977, 0.977, 2] };
  it('full detail on a GPU, and in software for a small volume', () => {
    expect(surfaceStep(ct, false)).toEqual([1, 1, 1]);
    expect(surfaceStep({ ...ct, dims: [512, 512, 31] }, true)).toEqual([1, 1, 1]);
    expect(512 * 512 * 31).toBeLessThan(COARSE_FROM_VOXELS);
  });
  it('in software, a large volume gets cells of about 4 mm, at most twice its coarsest spacing and at least it', () => {
    // The shared CT: 0.98 × 0.98 × 2 mm → 4 × 4 × 2 voxels.
    expect(surfaceStep(ct, true)).toEqual([4, 4, 2]);
    // 1 mm isotropic: twice the coarsest spacing, 2 mm.
    expect(surfaceStep({ dims: [256, 256, 256], spacing: [1, 1, 1] }, true)).toEqual([2, 2, 2]);
    // Thick slices, 0.5 × 0.5 × 5 mm: never coarser than a slice along z, at most 4 voxels in-plane.
    expect(surfaceStep({ dims: [512, 512, 64], spacing: [0.5, 0.5, 5] }, true)).toEqual([4, 4, 1]);
    // Sagittal MR, the thick axis first.
    expect(surfaceStep({ dims: [40, 512, 512], spacing: [4, 0.9, 0.9] }, true)).toEqual([1, 4, 4]);
  });
});

describe('diffLabels', () => {
  it('finds every changed voxel, four at a time and in the unaligned tail, and updates the snapshot', () => {
    const next = new Uint8Array(1027);
    const snapshot = next.slice();
    for (const [i, v] of [[0, 1], [5, 2], [6, 2], [1023, 7], [1026, 3]] as const) next[i] = v;
    const d = diffLabels(snapshot, next, 100);
    expect(Array.from(d?.indices ?? [])).toEqual([0, 5, 6, 1023, 1026]);
    expect(Array.from(d?.values ?? [])).toEqual([1, 2, 2, 7, 3]);
    expect(snapshot).toEqual(next);
    expect(diffLabels(snapshot, next, 100)?.indices.length).toBe(0);
  });

  it('grows past its first buffer, and gives up (snapshot overwritten) beyond the limit', () => {
    const next = new Uint8Array(10_000).fill(4);
    const snapshot = new Uint8Array(10_000);
    expect(diffLabels(snapshot.slice(), next, 20_000)?.indices.length).toBe(10_000);
    expect(diffLabels(snapshot, next, 5000)).toBeNull();
    expect(snapshot).toEqual(next);
  });

  it('works on views that are not 4-byte aligned', () => {
    const buffer = new Uint8Array(64);
    const next = buffer.subarray(1, 41);
    const snapshot = new Uint8Array(40);
    next[3] = 9;
    expect(Array.from(diffLabels(snapshot, next, 10)?.indices ?? [])).toEqual([3]);
  });
});

describe('diffAt', () => {
  it('compares only the touched voxels, once each, and updates the snapshot there', () => {
    const next = new Uint8Array(100);
    const snapshot = next.slice();
    next[3] = 2;
    next[50] = 5;
    next[99] = 1; // changed but not listed: not seen
    const d = diffAt(snapshot, next, [Uint32Array.of(3, 4, 3), Uint32Array.of(50, 3)]);
    expect(Array.from(d.indices)).toEqual([3, 50]);
    expect(Array.from(d.values)).toEqual([2, 5]);
    expect(snapshot[3]).toBe(2);
    expect(snapshot[99]).toBe(0);
  });
});
