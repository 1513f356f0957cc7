import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelCard } from '../../../common/contract/model-card.js';
import { REPO_ROOT } from '../../../test-support/paths.js';
import { batchForMemory } from './batch-size.js';

const demo = ModelCard.parse(JSON.parse(readFileSync(join(REPO_ROOT, 'native-models', 'models', 'demo', 'model.json'), 'utf8')));
const GiB = 1024 ** 3;

describe('batchForMemory', () => {
  it('runs the tiny demo model 8 slices at a time (the cap) on an ordinary machine', () => {
    expect(batchForMemory(demo, 512 * 512, 4 * GiB)).toBe(8);
  });

  it('shrinks ViT-B batches to what a quarter of the free memory holds, never below one', () => {
    const vitB = { ...demo, input: { ...demo.input, size: 512 }, architecture: { ...demo.architecture, config: { num_heads: 12 } } };
    // ≈ 132 MB per 512² slice: 1 GiB free → 256 MiB budget → 2 slices; 4 GiB → 8; 16 GiB → 32, capped at 8.
    expect(batchForMemory(vitB, 512 * 512, 1 * GiB)).toBe(2);
    expect(batchForMemory(vitB, 512 * 512, 4 * GiB)).toBe(8);
    expect(batchForMemory(vitB, 512 * 512, 16 * GiB)).toBe(8);
    expect(batchForMemory(vitB, 512 * 512, 3 * GiB)).toBe(6);
    expect(batchForMemory(vitB, 512 * 512, 100 * 1024 ** 2)).toBe(1);
  });
});
