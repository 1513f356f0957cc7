/**
 * What the model is shown of a slice, as its card says: which preprocessing applies (by
 * modality), and the intensity window mapped onto the model's input range. One home for
 * inference and for the training-set export, so a fine-tuned model learns from exactly what it
 * will later be shown.
 */
import type { ModelCard, Preprocessing } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';
import type { VoxelArray } from '../../../common/contract/volume.js';

/**
 * The modality of a volume whose file does not say (NIfTI, NRRD): CT when its values reach down
 * to air in Hounsfield units, otherwise unknown. Never guess CT for an MR or a label map.
 */
export function inferModality(modality: string | undefined, voxels: VoxelArray): string | undefined {
  if (modality !== undefined) return modality;
  let min = Infinity;
  for (let i = 0; i < voxels.length; i++) if ((voxels[i] as number) < min) min = voxels[i] as number;
  return min <= -500 ? 'CT' : undefined;
}

/** The preprocessing of the card for this modality. */
export function preprocessingFor(card: ModelCard, modality: string | undefined): Preprocessing {
  const supported = Object.keys(card.preprocessing).join(', ');
  if (modality === undefined) {
    throw new UserFacingError(
      'unreadable',
      `The file does not say its modality and its values do not look like CT in Hounsfield units; model ${card.name} ${card.version} supports ${supported}.`,
    );
  }
  const key = modality;
  const p = card.preprocessing[key];
  if (!p) {
    const known = Object.keys(card.preprocessing).join(', ');
    throw new UserFacingError('unreadable', `Model ${card.name} ${card.version} has no preprocessing for ${key} images (it supports ${known}).`);
  }
  return p;
}

/** Clip to the window, then map linearly onto the range, in place. */
export function applyWindow(values: Float32Array, p: Preprocessing): Float32Array {
  const [w0, w1] = p.window;
  const [r0, r1] = p.range;
  const k = (r1 - r0) / (w1 - w0);
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(w1, Math.max(w0, values[i]!));
    values[i] = r0 + (v - w0) * k;
  }
  return values;
}
