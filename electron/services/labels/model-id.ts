/**
 * A model's identity as label sessions store it on disk (journal records, snapshot headers):
 * JSON `{ name, version }`. Sessions written before identities were objects hold "name version";
 * they are read once here, the only place a joined string is ever split.
 */
import type { ModelId } from '../../../common/contract/segmentation.js';

export function parseModelId(stored: unknown): ModelId {
  if (typeof stored === 'object' && stored !== null) {
    const { name, version } = stored as Record<string, unknown>;
    return { name: typeof name === 'string' ? name : '', version: typeof version === 'string' ? version : '' };
  }
  const s = String(stored);
  if (s.startsWith('{')) return parseModelId(JSON.parse(s) as unknown);
  const cut = s.lastIndexOf(' ');
  return cut > 0 ? { name: s.slice(0, cut), version: s.slice(cut + 1) } : { name: s, version: '' };
}

export const sameModel = (a: ModelId, b: ModelId): boolean => a.name === b.name && a.version === b.version;
