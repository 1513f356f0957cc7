/** Default display window for a freshly opened volume. */
import type { VolumeMeta } from '../../../electron/contract/volume';

export interface WindowLevel {
  readonly width: number;
  readonly level: number;
}

/** CT soft-tissue (abdomen) window: the organs H-SAM segments are judged in it. */
export const CT_ABDOMEN: WindowLevel = { width: 400, level: 40 };

/**
 * CT when the source says so, or when the values look like Hounsfield units (air near −1000
 * and bone above a few hundred); otherwise the full value range.
 */
export function isHounsfield(meta: Pick<VolumeMeta, 'modality' | 'min' | 'max'>): boolean {
  const looksLikeHu = meta.min <= -900 && meta.max >= 200 && meta.max <= 5000;
  return meta.modality === 'CT' || (meta.modality === undefined && looksLikeHu);
}

export function defaultWindow(meta: Pick<VolumeMeta, 'modality' | 'min' | 'max'>): WindowLevel {
  if (isHounsfield(meta)) return CT_ABDOMEN;
  const width = Math.max(1, meta.max - meta.min);
  return { width, level: meta.min + width / 2 };
}
