/**
 * A corpus of hostile and unlucky inputs, generated here (nothing large is committed), walked
 * through the built command line (a child process, as a user runs it) and through the handler
 * table the app uses. For each: a non-zero exit (or an error value), one sentence naming what is
 * wrong and no stack or runtime text, an answer within seconds, and a bounded peak memory.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedStudy } from '../../common/contract/api.js';
import { callApi } from '../../test-support/dispatch.js';
import { REPO_ROOT, TOTALSEG } from '../../test-support/paths.js';
import { PYTHON } from '../../test-support/python.js';
import { createWorkstation, type Workstation } from '../services/workstation.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'hsam.js');
const DEMO = join(REPO_ROOT, 'native-models', 'models', 'demo');
const SAMPLE = join(TOTALSEG, 'example_ct_sm.nii.gz');
const DICOM = join(TOTALSEG, 'example_ct_dicom');
/** Runtime text that must never reach a user for an input problem. */
const RUNTIME_TEXT = /failed unexpectedly|\n\s+at |TypeError|RangeError|ReferenceError|Traceback|Invalid typed array length|heap out of memory|ERR_[A-Z_]+/;
const MAX_SECONDS = 20;
const MAX_RSS_MB = 1536;

let dir: string;
let ws: Workstation;

interface CliRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly seconds: number;
  readonly rssMb: number;
}

/** The built CLI in a child process, its peak resident memory measured by GNU time. */
function hsam(args: readonly string[]): CliRun {
  const rssFile = join(dir, `rss-${Math.random().toString(36).slice(2)}`);
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  const seconds = (performance.now() - t) / 1000;
  const rssMb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024;
  return { code: r.status, out: r.stdout, err: r.stderr, seconds, rssMb };
}

/** Refused with exactly one sentence matching `message`, in bounded time and memory. */
function expectRefused(r: CliRun, message: RegExp | string): void {
  expect(r.code, r.err).not.toBe(0);
  expect(r.err).not.toMatch(RUNTIME_TEXT);
  const line = r.err.trim();
  if (typeof message === 'string') expect(line).toBe(`hsam: ${message}`);
  else expect(line).toMatch(message);
  expect(r.seconds).toBeLessThan(MAX_SECONDS);
  expect(r.rssMb).toBeLessThan(MAX_RSS_MB);
}

/** The same input through the app's handler table: an error value of an input kind, the same words. */
async function expectApiRefused(path: string, message: RegExp | string): Promise<void> {
  const r = await ws.dispatch('volume.open', { fileId: ws.files.grant(path, 'dialog').fileId });
  if (r.ok) throw new Error(`${basename(path)} opened`);
  expect(r.error.code).not.toBe('internal');
  if (typeof message === 'string') expect(r.error.message).toBe(message);
  else expect(r.error.message).toMatch(message);
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

// ---- NIfTI-1 header edits (offsets from the NIfTI-1 standard) ----
const DIM = 40; // int16 dim[8]
const VOX_OFFSET = 108; // float32
const QFORM_CODE = 252; // int16
const SFORM_CODE = 254; // int16
const SROW_X = 280; // float32 × 4

/** The sample NIfTI, inflated, with `edit` applied to its bytes, written (gzipped) as `name`. */
function niftiVariant(name: string, edit: (b: Buffer) => Buffer | void): string {
  const bytes = gunzipSync(readFileSync(SAMPLE));
  const edited = edit(bytes) ?? bytes;
  const path = join(dir, name);
  writeFileSync(path, name.endsWith('.gz') ? gzipSync(edited) : edited);
  return path;
}

/** A single-file DICOM folder: the first shared slice with attributes changed by pydicom. */
function dicomVariant(name: string, python: string): string {
  const out = join(dir, name);
  mkdirSync(out);
  const src = join(DICOM, readdirSync(DICOM).sort()[0]!);
  execFileSync(PYTHON, ['-c', `import sys, pydicom\nds = pydicom.dcmread(sys.argv[1])\n${python}\nds.save_as(sys.argv[2])`, src, join(out, 'IM1.dcm')]);
  return join(out, 'IM1.dcm');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hsam-hostile-'));
  ws = createWorkstation({
    version: 'test',
    dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
    emit: () => {},
    sessionsDir: join(dir, 'sessions'),
  });
});
afterAll(async () => {
  await ws.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('special files', () => {
  it('a named pipe given as a volume is refused before it is read (the read would never return)', async () => {
    for (const name of ['pipe.nii.gz', 'pipe.nrrd', 'pipe.dcm']) {
      const p = join(dir, name);
      execFileSync('mkfifo', [p]);
      expectRefused(hsam(['info', p]), `Cannot read ${name}: it is a named pipe (FIFO), not a file or folder.`);
      await expectApiRefused(p, `Cannot read ${name}: it is a named pipe (FIFO), not a file or folder.`);
    }
  });

  it('a detached NRRD header that names /dev/zero, a pipe or a file elsewhere on the disk', async () => {
    const cases: [string, string][] = [
      ['/dev/zero', 'Cannot read the data file of zero.nhdr, /dev/zero: it is outside the header\'s folder; a detached header may only name data beside it.'],
      ['/etc/passwd', 'Cannot read the data file of passwd.nhdr, /etc/passwd: it is outside the header\'s folder; a detached header may only name data beside it.'],
      ['fifo.raw', 'Cannot read the data file of fifo.nhdr, fifo.raw: it is a named pipe (FIFO), not a file.'],
    ];
    execFileSync('mkfifo', [join(dir, 'fifo.raw')]);
    for (const [dataFile, message] of cases) {
      const header = join(dir, `${basename(dataFile).replace(/\..*$/, '')}.nhdr`);
      writeFileSync(header, `NRRD0004\ntype: uint8\ndimension: 3\nsizes: 4 4 4\nencoding: raw\ndata file: ${dataFile}\n\n`);
      expectRefused(hsam(['info', header]), message);
      await expectApiRefused(header, message);
    }
  });
});

describe('headers that lie', () => {
  it('NIfTI: negative dims, a NaN data offset, enormous dims, a gzip bomb', async () => {
    const negative = niftiVariant('negative.nii.gz', (b) => void b.writeInt16LE(-122, DIM + 2));
    expectRefused(hsam(['info', negative]), 'negative.nii.gz: its header gives a dimension of -122 (dims -122 × 101 × 30); every dimension must be a whole number of at least 1.');
    const nanOffset = niftiVariant('nan-offset.nii', (b) => void b.writeFloatLE(NaN, VOX_OFFSET));
    expectRefused(hsam(['info', nanOffset]), 'nan-offset.nii: its header places the voxels at byte NaN, which is not a valid offset (at least 348).');
    const huge = niftiVariant('huge.nii.gz', (b) => {
      for (let d = 1; d <= 3; d++) b.writeInt16LE(30000, DIM + 2 * d);
    });
    expectRefused(hsam(['info', huge]), /^hsam: huge\.nii\.gz claims 30000 × 30000 × 30000 voxels \(54 TB\), more than this workstation can hold \(.+\); it was not read\.$/);
    // 10×10×10 bytes declared, 300 MB of zeros behind them: ~300 kB on disk.
    const bomb = join(dir, 'bomb.nii.gz');
    const head = gunzipSync(readFileSync(SAMPLE)).subarray(0, 352);
    [1, 2, 3].forEach((d) => head.writeInt16LE(10, DIM + 2 * d));
    head.writeInt16LE(2, 70); // datatype uint8
    head.writeInt16LE(8, 72); // bitpix
    writeFileSync(bomb, gzipSync(Buffer.concat([head, Buffer.alloc(300 << 20)]), { level: 9 }));
    const r = hsam(['info', bomb]);
    expectRefused(r, 'bomb.nii.gz: its compressed data inflates to more than the 1.4 kB its header declares; it was not read further.');
    await expectApiRefused(bomb, 'bomb.nii.gz: its compressed data inflates to more than the 1.4 kB its header declares; it was not read further.');
  });

  it('NIfTI: a NaN sform falls back to the qform with a warning, and without a qform is refused', () => {
    // The sample has a sform only; give it the qform a writer would (identity rotation, its own origin).
    const withQform = niftiVariant('nan-sform.nii.gz', (b) => {
      b.writeFloatLE(NaN, SROW_X);
      b.writeInt16LE(1, QFORM_CODE);
    });
    const ok = hsam(['info', withQform]);
    expect(ok.code, ok.err).toBe(0);
    const info = JSON.parse(ok.out) as { origin: number[]; warnings?: string[] };
    expect(info.origin.every(Number.isFinite)).toBe(true);
    expect(info.warnings).toEqual(['nan-sform.nii.gz: the sform of its header holds non-numbers (NaN); the qform places the volume instead.']);
    const noQform = niftiVariant('nan-sform-only.nii.gz', (b) => {
      b.writeFloatLE(NaN, SROW_X);
      b.writeInt16LE(0, QFORM_CODE);
      b.writeInt16LE(1, SFORM_CODE);
    });
    expectRefused(hsam(['info', noQform]), 'nan-sform-only.nii.gz: the sform of its header holds non-numbers (NaN) and there is no usable qform; the volume cannot be placed in the patient.');
  });

  it('DICOM: enormous images, a million frames in a small file, NaN and zero geometry, a NaN rescale', async () => {
    const cases: [string, string, RegExp][] = [
      ['rows', 'ds.Rows = 40000\nds.Columns = 40000', /^hsam: IM1\.dcm: its images are 40000 × 40000 pixels, larger than a CT or MR image can be \(at most 16384 a side\)\.$/],
      ['frames', 'ds.NumberOfFrames = 1000000', /^hsam: IM1\.dcm: it declares 1000000 frames of 512 × 512 pixels \(524 GB\) but the file is only \d+ kB\.$/],
      ['nan-position', "ds.ImagePositionPatient = ['NaN', 'NaN', 'NaN']", /^hsam: IM1\.dcm: its Image Position \(Patient\) is ".*", not 3 numbers\.$/],
      ['zero-orientation', 'ds.ImageOrientationPatient = [0, 0, 0, 0, 0, 0]', /^hsam: IM1\.dcm: its Image Orientation \(Patient\) \(0, 0, 0, 0, 0, 0\) is not two perpendicular unit vectors, so its slices have no plane\.$/],
      ['nan-slope', "ds.RescaleSlope = 'NaN'", /^hsam: IM1\.dcm: its Rescale Slope is ".*", not a number\.$/],
    ];
    for (const [name, python, message] of cases) {
      const file = dicomVariant(name, `from pydicom import config\nconfig.settings.writing_validation_mode = config.IGNORE\n${python}`);
      expectRefused(hsam(['info', file]), message);
      await expectApiRefused(file, new RegExp(message.source.replace('^hsam: ', '^')));
    }
  });
});

describe('outputs that are inputs', () => {
  it('segment and export never write over the volume, the labels or a file of the DICOM folder', () => {
    const ct = join(dir, 'ct.nii.gz');
    copyFileSync(SAMPLE, ct);
    const labels = join(dir, 'ct.labels.nii.gz');
    copyFileSync(join(TOTALSEG, 'example_seg.nii.gz'), labels);
    const before = [sha(ct), sha(labels)];
    expectRefused(hsam(['segment', ct, '--out', ct]), 'Refused to write ct.nii.gz: it is the input ct.nii.gz, which would be replaced. Choose another output name.');
    expectRefused(hsam(['export', ct, '--labels', labels, '--format', 'nifti', '--out', ct]), 'Refused to write ct.nii.gz: it is the input ct.nii.gz, which would be replaced. Choose another output name.');
    expectRefused(hsam(['export', ct, '--labels', labels, '--format', 'nifti', '--out', labels]), 'Refused to write ct.labels.nii.gz: it is the input ct.labels.nii.gz, which would be replaced. Choose another output name.');
    // Through a link, the input is still the input.
    symlinkSync(ct, join(dir, 'link.nii.gz'));
    expectRefused(hsam(['segment', ct, '--out', join(dir, 'link.nii.gz')]), 'Refused to write link.nii.gz: it is the input ct.nii.gz, which would be replaced. Choose another output name.');
    expect([sha(ct), sha(labels)]).toEqual(before);

    const series = join(dir, 'series');
    cpSync(DICOM, series, { recursive: true });
    const victim = join(series, readdirSync(series).sort()[3]!);
    const kept = sha(victim);
    expectRefused(
      hsam(['export', series, '--labels', join(TOTALSEG, 'example_seg_dicom.nii.gz'), '--format', 'dicom-seg', '--out', victim]),
      `Refused to write ${basename(victim)}: it is a file of the input folder series (one of its images would be replaced). Choose another name or folder.`,
    );
    expect(sha(victim)).toBe(kept);
  });
});

describe('outputs that are inputs, in the app', () => {
  it('an export saved over the study it labels is refused and the study is unchanged', async () => {
    const ct = join(dir, 'app-ct.nii.gz');
    copyFileSync(SAMPLE, ct);
    const before = sha(ct);
    const app = createWorkstation({
      version: 'test',
      dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null), chooseSavePath: () => Promise.resolve(ct) },
      emit: () => {},
      sessionsDir: join(dir, 'app-sessions'),
      defaultModelDir: DEMO,
    });
    try {
      await callApi(app, 'model.load', { fileId: app.files.grant(DEMO, 'resource').fileId, device: 'cpu' });
      const { meta } = await callApi<OpenedStudy>(app, 'volume.open', { fileId: app.files.grant(ct, 'dialog').fileId });
      await callApi(app, 'labels.paint', { volumeId: meta.volumeId, indices: Uint32Array.of(0, 1, 2), value: 5 });
      const r = await app.dispatch('export.labels', { volumeId: meta.volumeId, format: 'nifti' });
      expect(r).toEqual({
        ok: false,
        error: { code: 'invalid-argument', message: 'Refused to write app-ct.nii.gz: it is the input app-ct.nii.gz, which would be replaced. Choose another output name.' },
      });
      expect(sha(ct)).toBe(before);
    } finally {
      await app.dispose();
    }
  });
});

describe('silent wrong results', () => {
  it('symlinked DICOM files are followed: a series of links and copies opens whole', async () => {
    const mixed = join(dir, 'linked');
    mkdirSync(mixed);
    readdirSync(DICOM)
      .sort()
      .forEach((f, n) => (n % 2 === 0 ? symlinkSync(join(DICOM, f), join(mixed, f)) : copyFileSync(join(DICOM, f), join(mixed, f))));
    symlinkSync(mixed, join(mixed, 'loop')); // a link to a folder: set aside, never followed
    const r = hsam(['info', mixed]);
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as { dims: number[] }).dims).toEqual([512, 512, 20]);
    const opened = await callApi<OpenedStudy>(ws, 'volume.open', { fileId: ws.files.grant(mixed, 'dialog').fileId });
    expect(opened.meta.dims).toEqual([512, 512, 20]);
  });

  it('segment over a folder: names that fold together get their own outputs, and a failed study fails the run', () => {
    const studies = join(dir, 'studies');
    mkdirSync(studies);
    copyFileSync(SAMPLE, join(studies, 'x y.nii.gz'));
    copyFileSync(SAMPLE, join(studies, 'x_y.nii.gz'));
    writeFileSync(join(studies, 'broken.nii.gz'), 'not a volume');
    const out = join(dir, 'labels-out');
    const r = hsam(['segment', studies, '--out', out, '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('hsam: 1 of 3 studies failed (their "error" is in the summary above); the others are done.');
    const summary = JSON.parse(r.out) as { studies: { input: string; output: string; status: string; error?: string }[] };
    const byInput = new Map(summary.studies.map((s) => [basename(s.input), s]));
    expect(byInput.get('broken.nii.gz')?.status).toBe('failed');
    expect(byInput.get('broken.nii.gz')?.error).not.toMatch(RUNTIME_TEXT);
    const outputs = ['x y.nii.gz', 'x_y.nii.gz'].map((n) => byInput.get(n)?.output);
    expect(new Set(outputs).size).toBe(2);
    // Beside the labels: the batch's per-study records (.hsam/).
    expect(readdirSync(out).sort()).toEqual(['.hsam', ...outputs.map((o) => basename(o ?? ''))].sort());
  }, 120_000);
});

describe('a killed run', () => {
  it('kill -9 mid-batch leaves no partial output; the rerun removes its scratch folder and finishes the rest', async () => {
    const studies = join(dir, 'killed');
    mkdirSync(studies);
    for (const n of ['a', 'b', 'c', 'd']) copyFileSync(SAMPLE, join(studies, `${n}.nii.gz`));
    const out = join(dir, 'killed-out');
    const child = spawn(process.execPath, [CLI, 'segment', studies, '--out', out, '--device', 'cpu'], { stdio: 'ignore' });
    // Kill it as soon as the first study is written, while the next one runs.
    const deadline = Date.now() + 60_000;
    while (!(readdirSync(dir).includes('killed-out') && readdirSync(out).some((f) => f.endsWith('.labels.nii.gz')))) {
      if (Date.now() > deadline) throw new Error('no output within 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const written = readdirSync(out).filter((f) => f !== '.hsam');
    // The batch's records are written atomically too: no temporaries among them.
    expect(readdirSync(join(out, '.hsam')).every((f) => f.endsWith('.json'))).toBe(true);
    // Only finished files (atomic writes: no temporaries, no half files), each a whole label volume.
    expect(written.every((f) => /^[a-d]\.labels\.nii\.gz$/.test(f))).toBe(true);
    for (const f of written) expect(gunzipSync(readFileSync(join(out, f))).length).toBe(352 + 122 * 101 * 30);
    const scratch = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith(`hsam-cli-${child.pid}-`));
    expect(scratch()).toHaveLength(1);
    const again = hsam(['segment', studies, '--out', out, '--device', 'cpu']);
    expect(again.code, again.err).toBe(0);
    const statuses = (JSON.parse(again.out) as { studies: { status: string }[] }).studies.map((st) => st.status);
    expect(statuses.filter((st) => st === 'skipped')).toHaveLength(written.length);
    expect(statuses.filter((st) => st === 'done')).toHaveLength(4 - written.length);
    expect(scratch()).toEqual([]);
  }, 180_000);
});

describe('model folders that pass the card check but not the graphs', () => {
  /** A copy of the demo model with `edit` applied (card and files), segmenting the sample with it. */
  function withModel(name: string, edit: (folder: string, card: Record<string, unknown>) => void): CliRun {
    const folder = join(dir, name);
    cpSync(DEMO, folder, { recursive: true });
    const card = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as Record<string, unknown>;
    // The fp32 graphs: without an int8 variant in the card, they are what the CPU loads.
    delete card['variants'];
    edit(folder, card);
    writeFileSync(join(folder, 'model.json'), JSON.stringify(card));
    return hsam(['segment', SAMPLE, '--model', folder, '--out', join(dir, `${name}.nii.gz`), '--device', 'cpu']);
  }
  const files = (card: Record<string, unknown>): Record<string, { path: string; bytes: number }> => card['files'] as Record<string, { path: string; bytes: number }>;

  it('garbage graphs, renamed inputs, other shapes, an enormous input size', () => {
    expectRefused(
      withModel('garbage', (folder, card) => writeFileSync(join(folder, 'encoder.onnx'), Buffer.alloc(files(card)['encoder']!.bytes, 7))),
      /^hsam: garbage\/encoder\.onnx is not an ONNX model onnxruntime can load \(.+\)\.$/,
    );
    expectRefused(
      withModel('renamed', (folder, card) => {
        const path = join(folder, 'encoder.onnx');
        execFileSync(PYTHON, ['-c', "import sys, onnx\nm = onnx.load(sys.argv[1])\nfor n in m.graph.node:\n    n.input[:] = ['pixels' if i == 'image' else i for i in n.input]\nm.graph.input[0].name = 'pixels'\nonnx.save(m, sys.argv[1])", path]);
        files(card)['encoder']!.bytes = readFileSync(path).length;
      }),
      'renamed/encoder.onnx does not match model.json: it has no input "image" (its inputs are "pixels").',
    );
    expectRefused(
      withModel('shapes', (_folder, card) => {
        const outputs = card['outputs'] as Record<string, { shape: (number | string)[] }>;
        outputs['embeddings']!.shape = ['batch', 256, 14, 14];
      }),
      'shapes/encoder.onnx does not match model.json: its output "embeddings" has shape [batch, 128, 14, 14], the card says [batch, 256, 14, 14].',
    );
    expectRefused(
      withModel('enormous', (_folder, card) => {
        (card['input'] as { size: number }).size = 1_000_000;
      }),
      /^hsam: enormous\/model\.json (gives an input size of 1000000 pixels a side; H-SAM models take at most 2048|is not a valid H-SAM model card)/,
    );
  }, 120_000);
});
