/**
 * A model folder as the workstation loads it: model.json validated against the card schema,
 * and the ONNX graphs it names present with the sizes it states. Every problem is reported as a
 * `UserFacingError` naming the file and what is wrong, before any session is created.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { ModelCard } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';

export interface ModelFolder {
  readonly dir: string;
  readonly card: ModelCard;
  readonly encoderPath: string;
  readonly decoderPath: string;
  /** The card's int8 graphs, checked like the fp32 ones, or null when it offers none. */
  readonly int8: { readonly encoderPath: string; readonly decoderPath: string } | null;
}

const bad = (message: string): UserFacingError => new UserFacingError('unreadable', message);

export async function loadModelFolder(dir: string): Promise<ModelFolder> {
  const name = basename(dir);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw bad(`Model folder ${name} not found; choose the folder that holds model.json.`);

  const cardPath = join(dir, 'model.json');
  const text = await readFile(cardPath, 'utf8').catch(() => null);
  if (text === null) throw bad(`${name}/model.json is missing: this is not a model folder.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`${name}/model.json is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  const parsed = ModelCard.safeParse(json);
  if (!parsed.success) throw bad(`${name}/model.json is not a valid H-SAM model card:\n${z.prettifyError(parsed.error)}`);
  const card = parsed.data;

  const int8 = card.variants?.int8;
  const files = [
    ['encoder', card.files.encoder],
    ['decoder', card.files.decoder],
    ...(int8 ? ([['int8 encoder', int8.encoder], ['int8 decoder', int8.decoder]] as const) : []),
  ] as const;
  for (const [role, entry] of files) {
    const s = await stat(join(dir, entry.path)).catch(() => null);
    if (!s) throw bad(`${name}/${entry.path} (the ${role}) is missing.`);
    if (s.size !== entry.bytes) {
      throw bad(`${name}/${entry.path} has ${s.size} bytes but model.json says ${entry.bytes}: the file is truncated or belongs to another model.`);
    }
  }
  return {
    dir,
    card,
    encoderPath: join(dir, card.files.encoder.path),
    decoderPath: join(dir, card.files.decoder.path),
    int8: int8 ? { encoderPath: join(dir, int8.encoder.path), decoderPath: join(dir, int8.decoder.path) } : null,
  };
}
