import { describe, expect, it } from 'vitest';
import { decodeStep, encodeStep } from './step.js';
import { parseModelId } from './model-id.js';

describe('model identity on disk', () => {
  it('keeps names and versions with spaces apart through a journal record', () => {
    const model = { name: 'hsam tiny demo', version: '0.2.0 (fine-tuned 3)' };
    const step = {
      diff: { indices: new Uint32Array(0), before: new Uint8Array(0), after: new Uint8Array(0), sourceBefore: new Uint8Array(0), sourceAfter: new Uint8Array(0) },
      status: { slices: new Uint32Array(0), before: new Uint8Array(0), after: new Uint8Array(0) },
      models: { slices: Uint32Array.of(3), before: Uint16Array.of(0), after: Uint16Array.of(1), model },
    };
    expect(decodeStep(encodeStep(step)).models?.model).toEqual(model);
  });

  it('reads sessions written before identities were objects ("name version")', () => {
    expect(parseModelId('hsam-tiny-demo 0.1.0')).toEqual({ name: 'hsam-tiny-demo', version: '0.1.0' });
    expect(parseModelId('my model 2')).toEqual({ name: 'my model', version: '2' });
    expect(parseModelId({ name: 'a', version: '1' })).toEqual({ name: 'a', version: '1' });
  });
});
