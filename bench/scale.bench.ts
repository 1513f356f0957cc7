/**
 * Archive-scale pre-segmentation (issue 19): studies per hour for 1 and 2 shards of `hsam
 * segment` on this machine, each shard its own process as on a cluster (the built CLI, `npm run
 * build`), over 4 copies of the shared CT (example_ct, 122×101×112) with the bundled demo model
 * on the CPU; and the projection for an archive of 10 000 CTs on a GPU cluster: per-study time ×
 * studies / nodes, with a GPU speed-up that is an assumption (no GPU here), said so in the table.
 *
 * `HSAM_SCALE_NODES` (default 8) and `HSAM_SCALE_GPU_SPEEDUP` (default 20) set the cluster.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecords } from '../electron/cli/segment-batch.js';
import { REPO_ROOT, TOTALSEG } from '../test-support/paths.js';
import type { BenchTable } from './table.js';

const STUDIES = 4;
const ARCHIVE = 10_000;
const HSAM = join(REPO_ROOT, 'bin', 'hsam.mjs');
const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const CT = join(TOTALSEG, 'example_ct.nii.gz');
const SLICES = 112;

function shard(studies: string, out: string, i: number, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HSAM, 'segment', studies, '--out', out, '--model', DEMO, '--device', 'cpu', '--shard', `${i}/${n}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`shard ${i}/${n} exited with ${String(code)}: ${err.trim()}`))));
  });
}

/** Wall-clock seconds for n concurrent shards over the folder, and the mean in-process seconds per study. */
async function measure(studies: string, work: string, n: number): Promise<{ wall: number; perStudy: number }> {
  const out = join(work, `out-${n}`);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => shard(studies, out, i, n)));
  const wall = (performance.now() - t0) / 1000;
  const records = readRecords(out);
  if (records.length !== STUDIES || records.some((r) => r.status !== 'done')) throw new Error(`${n} shard(s): not every study is done: ${JSON.stringify(records)}`);
  return { wall, perStudy: records.reduce((a, r) => a + (r.seconds ?? 0), 0) / STUDIES };
}

export async function run(): Promise<BenchTable> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'hsam.js'))) throw new Error('the CLI is not built; run "npm run build" first.');
  const nodes = Number(process.env['HSAM_SCALE_NODES'] ?? 8);
  const speedup = Number(process.env['HSAM_SCALE_GPU_SPEEDUP'] ?? 20);
  const work = mkdtempSync(join(tmpdir(), 'hsam-scale-'));
  try {
    const studies = join(work, 'studies');
    mkdirSync(studies);
    for (let i = 0; i < STUDIES; i++) cpSync(CT, join(studies, `ct-${i}.nii.gz`));
    const one = await measure(studies, work, 1);
    const two = await measure(studies, work, 2);
    const perHour = (r: { wall: number }): number => (STUDIES / r.wall) * 3600;
    // Per study on one process, start-up included (the wall clock of the 1-shard run / studies).
    const perStudy = one.wall / STUDIES;
    const cpuHours = (perStudy * ARCHIVE) / nodes / 3600;
    const gpuHours = cpuHours / speedup;
    const row = (n: number, r: { wall: number; perStudy: number }): (string | number)[] => [
      n,
      STUDIES,
      r.wall.toFixed(1),
      perHour(r).toFixed(0),
      (perHour(r) / perHour(one)).toFixed(2),
      r.perStudy.toFixed(2),
      ((r.perStudy * 1000) / SLICES).toFixed(0),
    ];
    return {
      title: `Scale-out: hsam segment in 1 and 2 shards (one process each) on this machine (${availableParallelism()} CPUs, ${cpus()[0]?.model ?? '?'}), ${STUDIES} copies of example_ct (${SLICES} slices), demo model, CPU`,
      columns: ['shards', 'studies', 'wall s', 'studies/hour', 'ratio to 1 shard', 's per study (in process)', 'ms per slice'],
      rows: [row(1, one), row(2, two)],
      notes: [
        'wall s: from starting the shard processes to the last one exiting (Node and model start-up included); studies/hour = studies / wall × 3600.',
        's per study: the seconds each study record holds (read, segment, write), averaged; with 2 shards both processes share the same cores.',
        `One process already runs onnxruntime on every core (intra-op threads = ${availableParallelism()}), so a second shard on the same machine only competes for them; shards pay off across nodes, each with its own cores or GPU.`,
        `Projection for ${ARCHIVE} CTs like this one (${SLICES} slices each; time grows with the slice count): ${perStudy.toFixed(2)} s per study × ${ARCHIVE} / ${nodes} nodes`,
        `  = ${cpuHours.toFixed(2)} h on ${nodes} nodes like this machine (measured per-study time, shards scaling linearly over nodes: they share nothing but the file system);`,
        `  = ${gpuHours.toFixed(3)} h (${((gpuHours * 3600) / 60).toFixed(1)} min) on ${nodes} GPU nodes with 1 GPU each, ASSUMING one GPU segments a study ${speedup}× faster than this CPU (an assumption: no GPU was measured here; set HSAM_SCALE_GPU_SPEEDUP, HSAM_SCALE_NODES).`,
        'The demo model is tiny; a full-size H-SAM (ViT-B encoder) costs far more per slice, so scale the per-study time by its measured per-slice time before planning.',
      ],
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
