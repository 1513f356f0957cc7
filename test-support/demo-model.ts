/** The shipped demo model as tests name it: read from its card, so a retrained demo needs no test edits. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const DEMO_DIR = join(REPO_ROOT, 'native-models', 'models', 'demo');
const card = JSON.parse(readFileSync(join(DEMO_DIR, 'model.json'), 'utf8')) as { name: string; version: string };
/** The card's version, e.g. "0.3.0". */
export const DEMO_VERSION = card.version;
/** "<name> <version>", as the status bar, the CLI and exports name the model. */
export const DEMO_LABEL = `${card.name} ${card.version}`;
