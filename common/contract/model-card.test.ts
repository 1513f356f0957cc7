/**
 * The model card's JSON Schema committed for the Python side is what this contract generates
 * (`npx vitest run common/contract -u` rewrites it after a change to the card), and the
 * shipped demo card parses under the contract.
 */
import { describe, expect, it } from 'vitest';
import demoCard from '../../native-models/models/demo/model.json';
import { ModelCard, modelCardJsonSchema } from './model-card.js';

describe('model-card.schema.json', () => {
  it('is what the contract generates', async () => {
    await expect(`${JSON.stringify(modelCardJsonSchema(), null, 2)}\n`).toMatchFileSnapshot('../../native-models/schemas/model-card.schema.json');
  });

  it('the shipped demo card is a valid card', () => {
    expect(ModelCard.safeParse(demoCard).success).toBe(true);
    expect('labels' in demoCard.outputs).toBe(false);
  });

  it('a card written when the decoder still had a labels output is valid too', () => {
    const labels = { dtype: 'uint8', shape: ['batch', 224, 224], meaning: 'argmax over classes of the logits' };
    const old = { ...demoCard, outputs: { ...demoCard.outputs, labels } };
    expect(ModelCard.parse(old).outputs.labels).toEqual(labels);
    expect(ModelCard.safeParse({ ...old, outputs: { ...old.outputs, labels: { ...labels, dtype: 'float32' } } }).success).toBe(false);
  });
});
