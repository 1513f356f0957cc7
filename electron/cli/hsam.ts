/**
 * `hsam`: the headless command line over the same services and handler table as the app.
 * Prints JSON on stdout; errors go to stderr with exit code 1 (2 for usage errors), never a
 * stack trace for bad input.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { stat } from 'node:fs/promises';
import type { VolumeMeta } from '../../common/contract/volume.js';
import { readAppVersion } from '../services/app-version.js';
import { loadDicomSeries, scanDicomFolder } from '../services/imaging/dicom/loader.js';
import { readVolume } from '../services/imaging/read-volume.js';
import { describeVolume } from '../services/imaging/volume.js';
import { defaultModelDir, segmentCommand } from './segment-command.js';
import { readRecords, summarise } from './segment-batch.js';
import { resolveShard } from './shard.js';
import { clusterSegment } from './cluster-command.js';
import { addFinetuneCommand } from './finetune-command.js';
import { cliPaths } from '../services/app-paths.js';
import { exportCommand } from './export-command.js';
import { LABEL_FORMATS, SEG_TYPES, type LabelFormat, type SegType } from '../../common/contract/learning.js';

/**
 * The `info` JSON: geometry in LPS millimetres, as `VolumeMeta` minus session ids and the
 * per-slice SOP Instance UIDs (one line per slice would drown the rest).
 */
export function infoJson(meta: VolumeMeta): Record<string, unknown> {
  const { volumeId: _omit, sopInstanceUIDs: _long, ...rest } = meta;
  return rest;
}

const INFO_HELP = `
Output (JSON on stdout):
  a file, or a folder holding one DICOM series, or --series:
    { name, dims, spacing, origin, direction, modality?, voxelType, min, max,
      seriesInstanceUID?, studyInstanceUID?, frameOfReferenceUID?, warnings? }
    (LPS millimetres; direction is 3x3 row-major, its columns the i, j, k axes)
  a folder holding several DICOM series and no --series:
    { folder, fileCount, series: [{ seriesId, seriesInstanceUID, studyInstanceUID,
      patientName, patientId, studyDate, studyDescription, seriesDescription,
      seriesNumber, modality, sliceCount, fileCount, rows, columns, plane,
      transferSyntaxes, warnings }], nonImage: [...], unreadable: { count, examples } }
    then run again with --series <seriesId or Series Instance UID>.
Exit codes: 0 success, 1 unreadable input, 2 usage error.`;

class CliError extends Error {}

export async function runCli(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const version = readAppVersion();
  const program = new Command('hsam')
    .description('H-SAM Workstation command line')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });

  program
    .command('info')
    .description('Print dims, spacing, origin, direction (LPS, mm), modality and value range of a volume as JSON')
    .argument('<file>', 'a NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) or DICOM file, or a folder of DICOM files')
    .option('--series <id>', 'in a folder with several DICOM series: the seriesId or Series Instance UID to open')
    .addHelpText('after', INFO_HELP)
    .action(async (file: string, options: { series?: string }) => {
      // `info` only reads: the imaging services directly, no study and no label session.
      const isFolder = await stat(file).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!isFolder) {
        if (options.series) throw new CliError('--series applies to a folder of DICOM files.');
        out(`${JSON.stringify(infoJson(describeVolume('', await readVolume(file))), null, 2)}\n`);
        return;
      }
      const scan = await scanDicomFolder(file);
      const wanted = options.series;
      const matches = wanted ? scan.series.filter((s) => s.summary.seriesId === wanted || s.summary.seriesInstanceUID === wanted) : scan.series;
      if (wanted && matches.length === 0) throw new CliError(`${scan.summary.name} has no series "${wanted}"; run without --series to list them.`);
      const [only] = matches;
      if (!only || matches.length > 1) {
        const { name, ...rest } = scan.summary;
        out(`${JSON.stringify({ folder: name, ...rest, series: matches.map((m) => m.summary) }, null, 2)}\n`);
        return;
      }
      out(`${JSON.stringify(infoJson(describeVolume('', await loadDicomSeries(only))), null, 2)}\n`);
    });

  program
    .command('segment')
    .description('Segment every slice of a volume with an H-SAM model; writes labels in the input geometry (NIfTI) and prints a JSON summary')
    .argument('[input]', 'a volume file, a folder with one DICOM series (or --series), or a folder of studies (with --out a folder)')
    .option('--out <path>', 'labels file (.nii.gz), or a folder for a folder of studies')
    .option('--shard <i/n>', 'batch mode: segment share i of n (0-based); default: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT when set')
    .option('--report <dir>', 'summarise the batch in <dir> (done / failed / pending, timings) instead of segmenting')
    .option('--model <dir>', 'model folder (model.json + ONNX graphs)', defaultModelDir())
    .option('--device <device>', 'auto, cpu or gpu', 'auto')
    .option('--batch <n>', 'slices per batch', (v) => Number.parseInt(v, 10))
    .option('--series <id>', 'in a folder with several DICOM series: the one to segment')
    .option('--force', 'redo studies whose output already exists (batch mode)', false)
    .addHelpText(
      'after',
      `
Output (JSON on stdout):
  one volume: { model: { name, version, provider, precision (int8|fp32), skipped }, input, output, status, slices, completed,
                cancelled, seconds, secondsPerSlice, changedVoxels, uncertainty: [per slice] }
  a folder of studies: { model, studies: [ { input, output, status: done|skipped|failed, ... } ] }
  --report <dir>: { done, failed, pending, seconds: { total, mean, max }, failures: [{ input, error }], unfinished: [input] }
Batch mode is resumable: studies whose output exists are skipped unless --force. Each study has a
record in <out>/.hsam/ (status, shard, host, seconds, error). Exit code 1 when a study failed.`,
    )
    .action(async (input: string | undefined, o: { out?: string; model: string; device: string; batch?: number; series?: string; force: boolean; shard?: string; report?: string }) => {
      if (o.report !== undefined) {
        const report = summarise(readRecords(o.report));
        out(`${JSON.stringify(report, null, 2)}\n`);
        if (report.failed > 0) throw new CliError(`${report.failed} ${report.failed === 1 ? 'study' : 'studies'} failed in ${o.report}.`);
        return;
      }
      if (input === undefined || o.out === undefined) throw new CliError('segment needs an input and --out (or --report <dir>).');
      const shard = resolveShard(o.shard, process.env);
      if (!['auto', 'cpu', 'gpu'].includes(o.device)) throw new CliError(`--device must be auto, cpu or gpu, not "${o.device}".`);
      if (o.batch !== undefined && !(o.batch >= 1 && o.batch <= 64)) throw new CliError('--batch must be a whole number from 1 to 64.');
      const summary = await segmentCommand(
        input,
        {
          ...o,
          out: o.out,
          shard,
          device: o.device as 'auto' | 'cpu' | 'gpu',
          ...(o.batch === undefined ? {} : { batch: o.batch }),
          ...(o.series ? { series: o.series } : {}),
        },
        version,
      );
      out(`${JSON.stringify(summary, null, 2)}\n`);
      // The summary says which; the exit status must say that something failed.
      const studies = 'studies' in summary && Array.isArray(summary['studies']) ? (summary['studies'] as { status?: string }[]) : [];
      const failed = studies.filter((st) => st.status === 'failed').length;
      if (failed > 0) throw new CliError(`${failed} of ${studies.length} studies failed (their "error" is in the summary above); the others are done.`);
    });

  program
    .command('export')
    .description('Write a label file in an exchange format, in the geometry of the volume it labels; the file is read back before success')
    .argument('<volume>', 'the labelled volume: a NIfTI or NRRD file, or a folder of DICOM files (DICOM SEG needs DICOM)')
    .requiredOption('--labels <file>', 'the label map (e.g. the output of hsam segment), same grid as the volume')
    .requiredOption('--format <format>', LABEL_FORMATS.join(', '))
    .requiredOption('--out <path>', 'the file to write (replaced atomically)')
    .option('--model <dir>', 'the model folder whose classes the labels use', defaultModelDir())
    .option('--provenance <kind>', 'auto (untouched model output), corrected or manual: the DICOM SEG algorithm type', 'corrected')
    .option('--series <id>', 'in a folder with several DICOM series: the one the labels belong to')
    .option('--classes <file>', 'a class table naming the labels instead of the model: JSON { "value": "name" } (file.json#key picks one of several tables; default: the only one that names every value), an ITK-SNAP label description, a 3D Slicer colour table (.ctbl/.txt), or a .seg.nrrd or DICOM SEG whose segments name the values')
    .option('--algorithm <name>', 'with --classes: the tool that made the labels (DICOM SEG algorithm name; default: the class table file name)')
    .option('--seg-type <type>', 'with --format dicom-seg: binary (one 1-bit frame per segment and slice; read everywhere) or labelmap (Label Map Segmentation: one 8-bit frame per slice, much smaller with many segments, for receivers that support it)', 'binary')
    .addHelpText('after', `
Output (JSON on stdout): { format, output, files: [{ name, bytes }], verified, warnings, segments: [{ labelValue, name, algorithmType }] }
A NIfTI export also writes ITK-SNAP's label description beside the .nii.gz.`)
    .action(async (volume: string, o: { labels: string; format: string; out: string; model: string; provenance: string; series?: string; classes?: string; algorithm?: string; segType: string }) => {
      if (!(SEG_TYPES as readonly string[]).includes(o.segType)) throw new CliError(`--seg-type must be one of ${SEG_TYPES.join(', ')}, not "${o.segType}".`);
      if (!(LABEL_FORMATS as readonly string[]).includes(o.format)) throw new CliError(`--format must be one of ${LABEL_FORMATS.join(', ')}, not "${o.format}".`);
      if (!['auto', 'corrected', 'manual'].includes(o.provenance)) throw new CliError(`--provenance must be auto, corrected or manual, not "${o.provenance}".`);
      const schemas = cliPaths(import.meta.url).labelSchemasDir;
      const r = await exportCommand(volume, {
        ...o,
        format: o.format as LabelFormat,
        provenance: o.provenance as 'auto' | 'corrected' | 'manual',
        segType: o.segType as SegType,
        schemas,
        ...(o.series ? { series: o.series } : {}),
      });
      out(`${JSON.stringify(r, null, 2)}\n`);
    });

  addFinetuneCommand(program, out, err);

  const wholeNumber = (name: string) => (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a whole number of at least 1, not "${v}".`);
    return n;
  };
  program
    .command('cluster')
    .description('Run work on a SLURM cluster')
    .command('segment')
    .description('Write and submit an sbatch array job: N tasks, each running hsam segment on its share of the folder')
    .argument('<folder>', 'the folder of studies, on a file system every node sees')
    .requiredOption('--out <dir>', 'the output folder, shared by every node')
    .requiredOption('--nodes <n>', 'array tasks (one per node)', wholeNumber('--nodes'))
    .option('--gpus-per-task <g>', 'GPUs per task', wholeNumber('--gpus-per-task'))
    .option('--partition <p>', 'SLURM partition')
    .option('--model <dir>', 'model folder', defaultModelDir())
    .option('--device <device>', 'auto, cpu or gpu', 'auto')
    .option('--dry-run', 'write and print the script without submitting it', false)
    .addHelpText('after', `
Output (JSON on stdout): { script, jobId (null with --dry-run), text }
Follow it with: hsam segment --report <out>`)
    .action(async (folder: string, o: { out: string; nodes: number; gpusPerTask?: number; partition?: string; model: string; device: string; dryRun: boolean }) => {
      if (!['auto', 'cpu', 'gpu'].includes(o.device)) throw new CliError(`--device must be auto, cpu or gpu, not "${o.device}".`);
      const r = await clusterSegment(folder, { ...o, device: o.device as 'auto' | 'cpu' | 'gpu', hsam: selfCommand() });
      out(`${JSON.stringify(r, null, 2)}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    err(`hsam: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/**
 * The command that starts this same hsam on a cluster node (shared file system): this Node (or
 * the installed app's Electron run as Node) and the built CLI, or the repository's bin/hsam.mjs
 * when run from source.
 */
function selfCommand(): string[] {
  const self = fileURLToPath(import.meta.url);
  const entry = self.endsWith('.js') ? self : join(dirname(self), '..', '..', 'bin', 'hsam.mjs');
  const asNode = process.env['ELECTRON_RUN_AS_NODE'] ? ['env', 'ELECTRON_RUN_AS_NODE=1'] : [];
  return [...asNode, process.execPath, entry];
}
