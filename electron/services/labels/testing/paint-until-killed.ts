/**
 * Test helper process: paints seeded strokes into the session folder given as argv[2] and
 * prints the count after each acknowledged one, until it is killed.
 */
import { LabelSession } from '../label-session.js';
import { disk, strokes } from './strokes.js';

const dims = [40, 30, 10] as const;
const { session } = await LabelSession.open({ dir: process.argv[2] ?? '', dims, statusAxis: 2 });
let n = 0;
for (const [centre, value] of strokes(dims, 100_000, 42)) {
  await session.paint(disk(dims, centre, 3), value);
  process.stdout.write(`${++n}\n`);
}
