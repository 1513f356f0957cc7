/**
 * Loading benchmark: the shared JPEG 2000 CT series and the largest shared NIfTI, each loaded
 * by the built `hsam info` (the product's code path, worker threads included) in a child
 * process, and the same series converted by Debian's dcm2niix in the same run. Peak memory is
 * the child's maximum resident set (getrusage via /usr/bin/time), so it counts WASM heaps and
 * worker threads honestly; the peak of an empty `node -e ""` is measured too and subtracted in
 * the memory ratio (see run.ts).
 *
 * The shared series is small (10 MiB decoded), so fixed costs (Node, dcmjs, compiling OpenJPEG)
 * dominate it. A 10× longer series is therefore made from it (same compressed frames, the copies
 * shifted along the slice normal and renumbered) to show how time and
 * memory grow with the volume, which is what the "2× the volume" target is about.
 *
 * Both series are also opened as the running workstation opens the next study (open-twice.ts):
 * no Node start-up and codec compilation to pay, only fresh worker threads.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { IDLE_MS } from '../electron/services/imaging/dicom/pool.js';
import { REPO_ROOT, TOTALSEG } from '../test-support/paths.js';
import type { BenchTable } from './table.js';

interface BenchRow {
  readonly task: string;
  readonly tool: string;
  /** Best wall time of the runs, in seconds. */
  readonly seconds: number;
  /** Worst wall time of the runs, for the spread. */
  readonly worstSeconds: number;
  /** Highest peak resident memory over the runs, in MiB. */
  readonly peakMiB: number;
  /** Peak resident memory of an empty process of the same runtime, subtracted for "peak − rt". */
  readonly runtimeMiB?: number;
  /** Size of the decoded volume in MiB, for the memory target. */
  readonly volumeMiB?: number;
  /** `tool` of the row this one is compared with (same task). */
  readonly baseline?: string;
}


type Measured = Pick<BenchRow, 'seconds' | 'worstSeconds' | 'peakMiB'>;

function measure(cmd: string, args: string[], runs = 3): Measured {
  const seconds: number[] = [];
  const peaks: number[] = [];
  for (let n = 0; n < runs; n++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    const [sec, kb] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    seconds.push(sec ?? Infinity);
    peaks.push((kb ?? 0) / 1024);
  }
  return { seconds: Math.min(...seconds), worstSeconds: Math.max(...seconds), peakMiB: Math.max(...peaks) };
}

/** Where an explicit-VR little-endian element with a 2-byte length is: [value start, length]. */
function findElement(bytes: Buffer, group: number, element: number, vr: string): [number, number] {
  const tag = Buffer.from([group & 0xff, group >> 8, element & 0xff, element >> 8, vr.charCodeAt(0), vr.charCodeAt(1)]);
  const at = bytes.indexOf(tag);
  if (at < 0) throw new Error(`(${group.toString(16)},${element.toString(16)}) not found`);
  return [at + 8, bytes.readUInt16LE(at + 6)];
}

/**
 * Replace a top-level text element's value (padded to even length with a space). Nothing in a
 * dataset refers to byte offsets outside the file meta group, so the rest may shift.
 */
function setText(bytes: Buffer, group: number, element: number, vr: string, value: string): Buffer {
  const [at, len] = findElement(bytes, group, element, vr);
  const text = Buffer.from(value.length % 2 ? `${value} ` : value, 'latin1');
  const head = Buffer.from(bytes.subarray(0, at));
  head.writeUInt16LE(text.length, at - 2);
  return Buffer.concat([head, text, bytes.subarray(at + len)]);
}

const text = (bytes: Buffer, group: number, element: number, vr: string): string => {
  const [at, len] = findElement(bytes, group, element, vr);
  return bytes.toString('latin1', at, at + len).replace(/[\0 ]+$/, '');
};

/**
 * `copies` copies of a single-frame explicit-VR series, each shifted by the series' extent along
 * z (the shared series is axial) and renumbered (SOP Instance UID, Instance Number), with the
 * compressed pixel data untouched. dcm2niix and hsam both see one series of copies × files slices.
 */
export function longerSeries(src: string, copies: number, out: string): number {
  mkdirSync(out, { recursive: true });
  const files = readdirSync(src).sort();
  const heads = files.map((f) => readFileSync(join(src, f)));
  const zs = heads.map((b) => Number(text(b, 0x0020, 0x0032, 'DS').split('\\')[2]));
  const numbers = heads.map((b) => Number(text(b, 0x0020, 0x0013, 'IS')));
  // Copies continue the way instance numbers run (dcm2niix skips slices out of that order).
  const first = numbers.indexOf(Math.min(...numbers));
  const last = numbers.indexOf(Math.max(...numbers));
  const sign = (zs[last] ?? 0) >= (zs[first] ?? 0) ? 1 : -1;
  const step = sign * (Math.max(...zs) - Math.min(...zs)) * (files.length / (files.length - 1));
  for (let c = 0; c < copies; c++) {
    for (const f of files) {
      let bytes: Buffer = readFileSync(join(src, f));
      const ipp = text(bytes, 0x0020, 0x0032, 'DS').split('\\');
      ipp[2] = String(Number(ipp[2]) + c * step);
      bytes = setText(bytes, 0x0020, 0x0032, 'DS', ipp.join('\\'));
      bytes = setText(bytes, 0x0020, 0x0013, 'IS', String(Number(text(bytes, 0x0020, 0x0013, 'IS')) + c * files.length));
      // One digit of the SOP Instance UID numbers the copy, in the file meta (found first, never
      // blank) and in the dataset alike; the length stays, so the meta group length holds.
      const uid = text(bytes, 0x0002, 0x0003, 'UI');
      if (uid.length < 8) throw new Error(`${f}: no SOP Instance UID in the file meta`);
      const copyUid = `${uid.slice(0, -6)}${c % 10}${uid.slice(-5)}`;
      for (let i = bytes.indexOf(uid); i >= 0; i = bytes.indexOf(uid, i + uid.length)) bytes.write(copyUid, i, 'latin1');
      writeFileSync(join(out, `${c}-${f}`), bytes);
    }
  }
  return files.length * copies;
}

/**
 * open-twice.ts bundled like the CLI, beside a copy of the built DICOM worker (the pool starts
 * the worker file found beside its bundle), under dist/ so that its packages resolve.
 */
async function buildOpenTwice(): Promise<string> {
  const dir = join(REPO_ROOT, 'dist', 'bench');
  const out = join(dir, 'open-twice.mjs');
  await build({ entryPoints: [join(REPO_ROOT, 'bench', 'open-twice.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', logLevel: 'warning' });
  copyFileSync(join(REPO_ROOT, 'dist', 'cli', 'dicom-worker.mjs'), join(dir, 'dicom-worker.mjs'));
  return out;
}

/** The second open's time (best and worst of `runs`): the next study of the day, see open-twice.ts. */
function measureNextStudy(script: string, dir: string, runs = 3): Pick<BenchRow, 'seconds' | 'worstSeconds'> {
  const seconds: number[] = [];
  for (let n = 0; n < runs; n++) {
    const r = spawnSync(process.execPath, [script, dir, String(IDLE_MS + 500)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`open-twice failed: ${r.stderr}`);
    seconds.push((JSON.parse(r.stdout) as { second: number }).second);
  }
  return { seconds: Math.min(...seconds), worstSeconds: Math.max(...seconds) };
}

export async function run(): Promise<BenchTable> {
  return toTable(await measureAll());
}

async function measureAll(): Promise<BenchRow[]> {
  const cli = join(REPO_ROOT, 'bin', 'hsam.mjs');
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'hsam.js'))) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  const series = join(TOTALSEG, 'example_ct_dicom');
  const nifti = join(TOTALSEG, 'example_ct.nii.gz');
  const work = mkdtempSync(join(tmpdir(), 'hsam-bench-'));
  try {
    const long = join(work, 'series-x10');
    const longSlices = longerSeries(series, 10, long);
    const rows: BenchRow[] = [];
    const openTwice = await buildOpenTwice();
    const node = measure(process.execPath, ['-e', '""']);
    rows.push({ task: 'empty node process', tool: 'node', ...node });
    const runtimeMiB = node.peakMiB;
    const dicomTasks = [
      { task: 'CT series 512×512×20 J2K', dir: series, slices: 20 },
      { task: `CT series 512×512×${longSlices} J2K (×10)`, dir: long, slices: longSlices },
    ];
    for (const { task, dir, slices } of dicomTasks) {
      const out = join(work, `out-${slices}`);
      mkdirSync(out);
      rows.push({ task, tool: 'dcm2niix', ...measure('dcm2niix', ['-z', 'n', '-o', out, '-f', 'ct', dir]) });
      rows.push({
        task,
        tool: 'hsam info',
        ...measure(process.execPath, [cli, 'info', dir]),
        runtimeMiB,
        volumeMiB: (512 * 512 * slices * 2) / 2 ** 20,
        baseline: 'dcm2niix',
      });
      rows.push({ task, tool: 'next study in the app', ...measureNextStudy(openTwice, dir), peakMiB: NaN, baseline: 'dcm2niix' });
    }
    rows.push({
      task: 'example_ct.nii.gz 122×101×112 int32',
      tool: 'hsam info',
      ...measure(process.execPath, [cli, 'info', nifti]),
      runtimeMiB,
      volumeMiB: (122 * 101 * 112 * 4) / 2 ** 20,
    });
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Figures with their ratios: time against dcm2niix, memory above an empty Node against the volume. */
function toTable(rows: readonly BenchRow[]): BenchTable {
  const fmt = (x: number, d = 2): string => x.toFixed(d);
  const header = ['task', 'tool', 'time s best (worst)', 'peak MiB', 'peak − node MiB', 'volume MiB', 'time ratio', '(peak − node)/volume'];
  const table = rows.map((r) => {
    const base = rows.find((b) => b.task === r.task && b.tool === r.baseline);
    const extra = r.runtimeMiB === undefined ? undefined : r.peakMiB - r.runtimeMiB;
    return [
      r.task,
      r.tool,
      `${fmt(r.seconds)} (${fmt(r.worstSeconds)})`,
      Number.isNaN(r.peakMiB) ? '' : fmt(r.peakMiB, 0),
      extra === undefined ? '' : fmt(extra, 0),
      r.volumeMiB === undefined ? '' : fmt(r.volumeMiB, 1),
      base ? `${fmt(r.seconds / base.seconds)}× ${r.baseline}` : '',
      r.volumeMiB && extra !== undefined ? fmt(extra / r.volumeMiB, 1) : '',
    ];
  });
  return {
    title: 'Loading volumes (issue 3): hsam info vs dcm2niix',
    columns: header,
    rows: table,
    notes: [
      'time: best and worst wall time of the runs; peak: the highest peak resident set over the runs.',
      'peak − node: peak minus that of an empty node process; the memory ratio uses it (target ≤ 2). Target time ratio ≤ 1.',
      `next study in the app: scan + decode of the folder in a process that opened it once already, ${(IDLE_MS + 500) / 1000} s earlier: the DICOM workers (kept ${IDLE_MS / 1000} s) start anew, OpenJPEG is compiled already (no memory figure: it is one process).`,
    ],
  };
}
