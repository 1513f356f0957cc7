import { describe, expect, it } from 'vitest';
import type { ModelVersion } from './contract/learning.js';
import { versionVerdict } from './model-verdict.js';

const version = (after: number, before: number): ModelVersion => ({
  id: 'v2', name: 'H-SAM', version: '1.0-ft1', parent: { name: 'H-SAM', version: '1.0' },
  trainingSet: { id: 'ts-1', slices: 40 }, created: '2026-01-01T00:00:00Z',
  quality: { perClass: { liver: after }, mean: after }, baseline: { perClass: { liver: before }, mean: before }, active: false,
});

describe('versionVerdict', () => {
  it('flags a version with lower held-out Dice and says what it was measured on', () => {
    const v = versionVerdict(version(0.61, 0.72));
    expect(v.worse).toBe(true);
    expect(v.sentence).toBe("Worse than 1.0: mean Dice 0.610 vs 1.0's 0.720 on the held-out slices of training set ts-1, measured against your corrected labels.");
  });
  it('does not flag an equal or better one', () => {
    expect(versionVerdict(version(0.72, 0.72)).worse).toBe(false);
    expect(versionVerdict(version(0.8, 0.72)).worse).toBe(false);
  });
  it('says nothing about a model the user brought (no parent, no scores)', () => {
    expect(versionVerdict({ ...version(0.5, 0.9), parent: null, baseline: null })).toEqual({ worse: false, sentence: null });
  });
});
