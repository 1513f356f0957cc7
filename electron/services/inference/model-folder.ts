/**
 * A model folder as the workstation loads it: model.json validated against the card schema,
 * and the ONNX graphs it names present with the sizes it states. Every problem is reported as a
 * `UserFacingError` naming the file and what is wrong, before any session is created.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { ModelCard } from '../../../common/contract/model-card.js';
import { UserFacingError } from '../../../common/contract/result.js';
import { readRegularFile } from '../storage/safe-read.js';

export interface ModelFolder {
  readonly dir: string;
  readonly card: ModelCard;
  readonly encoderPath: string;
  readonly decoderPath: string;
  /** The card's int8 graphs, checked like the fp32 ones, or null when it offers none. */
  readonly int8: { readonly encoderPath: string; readonly decoderPath: string } | null;
  /** The card's slice pre/post-processing graphs, or null when it names neither (older folders: JavaScript does it). */
  readonly sliceGraphs: { readonly preprocessPath: string; readonly postprocessPath: string } | null;
}

const bad = (message: string): UserFacingError => new UserFacingError('unreadable', message);

/** Slice side a model may take: 4× the largest published H-SAM input. */
const MAX_INPUT_SIZE = 2048;

export async function loadModelFolder(dir: string): Promise<ModelFolder> {
  const name = basename(dir);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw bad(`Model folder ${name} not found; choose the folder that holds model.json.`);

  const cardPath = join(dir, 'model.json');
  // Only a regular file, and a card-sized one: a pipe named model.json would block the read forever.
  const text = await readRegularFile(cardPath, { name: `${name}/model.json`, maxBytes: 4 << 20 }).then(
    (b) => b.toString('utf8'),
    (e: unknown) => {
      if (e instanceof UserFacingError && e.code === 'not-found') throw bad(`${name}/model.json is missing: this is not a model folder.`);
      throw e;
    },
  );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`${name}/model.json is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  const parsed = ModelCard.safeParse(json);
  if (!parsed.success) throw bad(`${name}/model.json is not a valid H-SAM model card:\n${z.prettifyError(parsed.error)}`);
  const card = parsed.data;
  // Checked before any buffer is sized from it: a card may claim any size.
  if (card.input.size > MAX_INPUT_SIZE) {
    throw bad(`${name}/model.json gives an input size of ${card.input.size} pixels a side; H-SAM models take at most ${MAX_INPUT_SIZE} (the published ones 224 or 512).`);
  }

  const int8 = card.variants?.int8;
  const { preprocess, postprocess } = card.files;
  if (Boolean(preprocess) !== Boolean(postprocess)) {
    throw bad(`${name}/model.json names ${preprocess ? 'a preprocessing graph but no postprocessing graph' : 'a postprocessing graph but no preprocessing graph'}: give both or neither.`);
  }
  const files = [
    ['encoder', card.files.encoder],
    ['decoder', card.files.decoder],
    ...(int8 ? ([['int8 encoder', int8.encoder], ['int8 decoder', int8.decoder]] as const) : []),
    ...(preprocess && postprocess ? ([['preprocessing graph', preprocess], ['postprocessing graph', postprocess]] as const) : []),
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
    sliceGraphs: preprocess && postprocess ? { preprocessPath: join(dir, preprocess.path), postprocessPath: join(dir, postprocess.path) } : null,
  };
}
