/**
 * The one API between the renderer and main: every method's argument schema, every result type
 * and every event payload. Main, the preload, the renderer client, the CLI and the test host all
 * import this file; nothing else declares the API.
 *
 * Invariant: every argument that reaches main is parsed with its schema before a handler sees
 * it; objects are strict, so unknown keys are rejected rather than ignored.
 */
import { z } from 'zod';
import type { Result } from './result.js';
import type { FolderScan, SeriesThumbnail } from './dicom.js';
import {
  LABEL_FORMATS,
  SEG_TYPES,
  type FinetuneResult,
  type LabelExportResult,
  type ModelRegistryState,
  type ModelVersion,
  type PythonCheck,
  type ReviewSuggestion,
  type TrainingExportResult,
} from './learning.js';
import { LabelImportArgs, type LabelImportResult } from './label-import.js';
import { EditableRange, LabelTool, PaintOver, type LabelPreview, type SegmentStatistics } from './label-tools.js';
import type { LabelChange, LabelState, ModelStatus, SegmentSummary, VoxelUncertainty } from './segmentation.js';
import type { VolumeMeta, VoxelArray } from './volume.js';
import { CaseStatus, WorklistState, type OpenedCase } from './worklist.js';
import { LabelSet } from './label-set.js';

/** A file the user chose (dialog, drag and drop, command line) or one of the app's resources. */
export interface ChosenFile {
  /** Opaque id granted by main; the renderer never names a path itself. */
  readonly fileId: string;
  /** Base name for display. */
  readonly name: string;
  /** A folder is scanned for DICOM series; a file is opened directly. */
  readonly kind: 'file' | 'folder';
}

/** What the About dialog shows: this build and what it runs on. */
export interface AboutInfo {
  readonly app: { readonly name: string; readonly version: string };
  /** Electron and its Chromium; null where the app runs outside Electron (the test host). */
  readonly electron: string | null;
  readonly chromium: string | null;
  readonly node: string;
  readonly onnxruntime: string;
  /** The loaded model, or null. */
  readonly model: { readonly name: string; readonly version: string; readonly provider: string } | null;
  /** Whether the third-party licence notices ship with this installation (app.licenses). */
  readonly licenses: boolean;
}

export interface Startup {
  readonly version: string;
  /** The file to open first: the command-line path, else the bundled sample, else none. */
  readonly initialFile: ChosenFile | null;
  /** The initial file is the bundled sample (no path was given): an open worklist goes first. */
  readonly initialIsSample: boolean;
  /** The bundled demo model, to load unless the user picks another. */
  readonly defaultModel: ChosenFile | null;
}

/** An opened study, in one round trip: what it is, its voxels and its labels. */
export interface OpenedStudy {
  readonly meta: VolumeMeta;
  /** i fastest, then j, then k; element type as `VolumeMeta.voxelType`. Sent as binary, never JSON. */
  readonly voxels: VoxelArray;
  readonly labels: LabelState;
}

const id = z.string().min(1).max(128);
const noArgs = z.object({}).strict();
/** One series of a folder scan. */
const seriesOfScan = z.object({ scanId: id, seriesId: z.string().min(1).max(256) }).strict();

interface MethodSpec<A extends z.ZodType, R> {
  readonly args: A;
  readonly doc: string;
  /** Phantom: carries the result type; never set at run time. */
  readonly result?: R;
}

function method<R>() {
  return <A extends z.ZodType>(args: A, doc: string): MethodSpec<A, R> => ({ args, doc });
}

/** Every request the renderer (or the CLI) can make, keyed by channel `namespace.name`. */
export const methods = {
  'app.getStartup': method<Startup>()(noArgs, 'App version and the file to open at start.'),
  'app.about': method<AboutInfo>()(noArgs, 'The app, Electron, Chromium, Node, onnxruntime and model versions, for the About dialog.'),
  'app.licenses': method<{ readonly text: string }>()(noArgs, 'The third-party licence notices of everything bundled (generated from the production dependency tree).'),
  'file.chooseVolume': method<ChosenFile>()(noArgs, 'Show the open dialog in main; cancelled if the user closes it.'),
  'file.chooseFolder': method<ChosenFile>()(noArgs, 'Show the folder dialog in main (for DICOM); cancelled if the user closes it.'),
  'volume.open': method<OpenedStudy>()(
    z.object({ fileId: id }).strict(),
    'Read a chosen file (NIfTI, NRRD, a DICOM file, or a folder with exactly one DICOM series) into a study held by main: its geometry, voxels and labels.',
  ),
  'dicom.scanFolder': method<FolderScan>()(
    z.object({ fileId: id }).strict(),
    'Read the headers of every file under a chosen folder and list its DICOM series; progress arrives as scanProgress events.',
  ),
  'dicom.openSeries': method<OpenedStudy>()(
    seriesOfScan,
    'Decode one series of a scan into a study held by main (geometry, voxels, labels); progress arrives as scanProgress events.',
  ),
  'dicom.thumbnail': method<SeriesThumbnail>()(
    seriesOfScan,
    "A small preview of one series of a scan (its middle image), for the series picker; decoded off main's thread.",
  ),
  'file.chooseModelFolder': method<ChosenFile>()(noArgs, 'Show the folder dialog for a model folder (model.json + ONNX graphs).'),
  'file.chooseModelArchive': method<ChosenFile>()(noArgs, 'Show the open dialog for a zipped model folder (.zip).'),
  'models.import': method<{ readonly registry: ModelRegistryState; readonly version: ModelVersion; readonly loaded: ModelStatus | null }>()(
    z.object({ fileId: id }).strict(),
    'Validate a chosen model folder (or a zipped one) and add it to the registry as a version; it is loaded unless its held-out Dice is below its parent\'s (then it waits, flagged, for "Use anyway").',
  ),
  'model.load': method<ModelStatus>()(
    z.object({ fileId: id, device: z.enum(['auto', 'cpu', 'gpu']).optional() }).strict(),
    'Validate a model folder and start its sessions off the main thread; says which provider runs it and why not a faster one.',
  ),
  'model.status': method<ModelStatus | null>()(noArgs, 'The loaded model, or null.'),
  'segment.start': method<SegmentSummary>()(
    z.object({ volumeId: id, batch: z.number().int().min(1).max(64).optional() }).strict(),
    'Segment every slice of a volume with the loaded model and merge the result into its labels as one undoable step (its LabelChange is in the answer); progress arrives as segmentProgress events.',
  ),
  'segment.cancel': method<{ readonly cancelling: boolean }>()(
    z.object({ volumeId: id }).strict(),
    'Stop a running segmentation after the batch in flight; finished slices are kept.',
  ),
  'segment.uncertainty': method<VoxelUncertainty | null>()(
    z.object({ volumeId: id }).strict(),
    "Per voxel, how unsure the study's last model runs were (normalised entropy × 255, one byte a voxel; 0 where an undo took their labels away); null before any run on it.",
  ),
  'labels.get': method<LabelState>()(
    z.object({ volumeId: id }).strict(),
    'The label volume of an opened study, with provenance and slice status (for the command line; the app gets it with the study and mirrors every change).',
  ),
  'labels.paint': method<LabelChange>()(
    z
      .object({
        volumeId: id,
        /** Voxel indices (i + nx·(j + ny·k)); a stroke segment, not a volume. */
        indices: z.instanceof(Uint32Array).refine((a) => a.length <= 1 << 24, 'at most 16M voxels per edit'),
        value: z.number().int().min(0).max(255),
        /** Segments of one brush stroke share an id and undo as one step. */
        stroke: z.string().min(1).max(64).optional(),
        /** Which classes the paint may overwrite; absent: 'nothing' (no other organ). */
        paintOver: PaintOver.optional(),
        /** Voxels whose intensity is outside this range are never changed. */
        editable: EditableRange.optional(),
      })
      .strict(),
    'Set voxels to a class (0 erases), journaled to disk before it returns; one undo step per stroke; locked classes are kept.',
  ),
  'labels.apply': method<LabelChange>()(
    z.object({ volumeId: id, tool: LabelTool }).strict(),
    'Run a correction tool (threshold brush, region grow, scissors, islands, fill holes, interpolation, fill between slices, smoothing, margin, logical operators, revert to the proposal) as one undoable step, journaled before it returns; locked classes, the paint-over rule and the editable range are kept.',
  ),
  'labels.preview': method<LabelPreview>()(
    z.object({ volumeId: id, tool: LabelTool }).strict(),
    'What a correction tool would change (voxels and their classes after), computed on the current labels and not applied: the renderer shows it until Enter applies it with labels.apply or Escape drops it.',
  ),
  'labels.statistics': method<{ readonly segments: readonly SegmentStatistics[] }>()(
    z.object({ volumeId: id }).strict(),
    'Per class present: voxels, volume in mL, mean and SD intensity (HU for CT), bounding box and its extent in mm.',
  ),
  'labels.import': method<LabelImportResult>()(
    LabelImportArgs,
    "Read a chosen label file (NIfTI, NRRD, 3D Slicer .seg.nrrd, DICOM SEG) onto a study as one undoable step, as a proposal or as the user's own labels; classes matched to the model's by name, the rest added as extra classes.",
  ),
  'labels.undo': method<LabelChange | null>()(z.object({ volumeId: id }).strict(), 'Undo the last label step (AI runs included); null when there is none.'),
  'labels.redo': method<LabelChange | null>()(z.object({ volumeId: id }).strict(), 'Redo the last undone step; null when there is none.'),
  'labels.setSliceStatus': method<LabelChange>()(
    z
      .object({
        volumeId: id,
        /** Slice indices along the label volume's status (axial) axis. */
        slices: z.array(z.number().int().min(0)).min(1).max(100_000),
        status: z.enum(['untouched', 'auto', 'corrected', 'reviewed']),
      })
      .strict(),
    'Mark slices (e.g. reviewed: model runs then leave them alone); an undoable step.',
  ),
  'labels.setLocked': method<{ readonly locked: readonly number[] }>()(
    z.object({ volumeId: id, classIndex: z.number().int().min(1).max(255), locked: z.boolean() }).strict(),
    'Lock a class so no edit or model run changes its voxels, or unlock it.',
  ),
  'review.next': method<ReviewSuggestion | null>()(
    z.object({ volumeId: id }).strict(),
    'The slice the last model run was least sure of that nobody has corrected or reviewed yet; null when none is left.',
  ),
  'export.labels': method<LabelExportResult>()(
    z.object({ volumeId: id, format: z.enum(LABEL_FORMATS), segType: z.enum(SEG_TYPES).optional() }).strict(),
    'Ask where to save (a dialog in main), write the labels atomically in that format, read the file back and compare before reporting. segType (DICOM SEG only): binary (default) or labelmap.',
  ),
  'export.trainingSlices': method<TrainingExportResult>()(
    z.object({ volumeId: id }).strict(),
    "Add the slices marked corrected or reviewed to the loaded model's training set (one set per model, accumulating across studies).",
  ),
  'finetune.checkPython': method<PythonCheck>()(noArgs, 'Check the configured Python: found, torch and numpy importable, CUDA available or not.'),
  'finetune.choosePython': method<PythonCheck>()(noArgs, 'Show a file dialog for the Python interpreter, remember the choice and check it.'),
  'finetune.start': method<FinetuneResult>()(
    z.object({ steps: z.number().int().min(1).max(20_000).optional() }).strict(),
    "Fine-tune the loaded model on its training set in a child process; progress arrives as finetuneProgress events; the result is registered as a new version (not yet active).",
  ),
  'finetune.cancel': method<{ readonly cancelling: boolean }>()(noArgs, 'Stop a running fine-tune; nothing is registered.'),
  'models.list': method<ModelRegistryState>()(noArgs, 'Model versions in the registry (the demo and every fine-tuned version), with held-out Dice before and after.'),
  'models.activate': method<ModelStatus>()(
    z.object({ versionId: id }).strict(),
    'Load a registered model version (switch to a new one or roll back to an earlier one).',
  ),
  'file.chooseWorklistFile': method<ChosenFile>()(noArgs, 'Show the open dialog for a worklist list file (one study path a line).'),
  'worklist.open': method<WorklistState>()(
    z.object({ fileId: id }).strict(),
    'Open a worklist: a chosen folder of studies (volume files and DICOM series folders) or a list file (one path a line); case statuses persist across restarts.',
  ),
  'worklist.get': method<WorklistState | null>()(noArgs, 'The open worklist (at start: the one open when the app last closed), or null.'),
  'worklist.openCase': method<OpenedCase<OpenedStudy>>()(
    z.object({ index: z.number().int().min(0).max(1_000_000), prefetchNext: z.boolean().optional() }).strict(),
    "Open one case of the worklist as a study (labels written by hsam segment beside it are taken as the model's proposal on first open); with prefetchNext, the next unfinished case is pre-segmented in the background.",
  ),
  'worklist.setStatus': method<WorklistState>()(
    z.object({ index: z.number().int().min(0).max(1_000_000), status: CaseStatus }).strict(),
    "Set a case's status by hand (e.g. back to in progress).",
  ),
  'worklist.saveAndNext': method<{ readonly worklist: WorklistState; readonly next: number | null }>()(
    z.object({ volumeId: id }).strict(),
    'Save the open case, mark it reviewed, and name the next case that is not reviewed or exported (null when none is left).',
  ),
  'labelSet.get': method<LabelSet>()(noArgs, "The annotator's own labels beside the model's classes (kept across studies)."),
  'labelSet.set': method<LabelSet>()(
    LabelSet,
    "Replace the annotator's own labels (add, rename, recolour); values and names may not clash with the loaded model's classes. Model runs never write or overwrite them.",
  ),
  'volume.close': method<{ readonly closed: boolean }>()(
    z.object({ volumeId: id }).strict(),
    'Forget an opened volume and free its memory.',
  ),
} as const;

/** Events main sends to the renderer; the API exposes each as `events.onDid<Name>(listener)`. */
export const events = {
  /** Main chose a file for the renderer to open (File menu, second instance, command line). */
  openFile: z.object({ file: z.object({ fileId: id, name: z.string(), kind: z.enum(['file', 'folder']) }) }),
  /** Progress of a folder scan (reading headers) or of opening a series (decoding), per chosen folder. */
  scanProgress: z.object({
    fileId: id,
    phase: z.enum(['reading-headers', 'decoding']),
    done: z.number().int(),
    total: z.number().int(),
  }),
  /** Progress of a segmentation run, after each batch. */
  segmentProgress: z.object({
    volumeId: id,
    done: z.number().int(),
    total: z.number().int(),
    elapsedMs: z.number(),
    etaMs: z.number(),
  }),
  /**
   * Labels of the slices a running segmentation just finished, as the run's merge will set them
   * (locked classes, reviewed slices and human edits kept): shown at once; the run's answer
   * carries the one undoable change.
   */
  segmentLabels: z.object({
    volumeId: id,
    indices: z.custom<Uint32Array>((v) => v instanceof Uint32Array),
    values: z.custom<Uint8Array>((v) => v instanceof Uint8Array),
  }),
  /**
   * Background work of a study failed without failing the action that started it (the last run's
   * uncertainty was not saved: the labels are): the study's notice bar says so.
   */
  studyNotice: z.object({ volumeId: id, message: z.string() }),
  /** The worklist changed in main (a status set by an edit, a run, an export, or the background pre-segmentation). */
  worklistChanged: WorklistState,
  /** Progress of a fine-tuning run, after each training step and at each phase change. */
  finetuneProgress: z.object({
    phase: z.enum(['checking', 'training', 'evaluating', 'registering']),
    step: z.number().int(),
    steps: z.number().int(),
    loss: z.number().nullable(),
    elapsedMs: z.number(),
    etaMs: z.number(),
  }),
} as const;

export type Channel = keyof typeof methods;
export type EventName = keyof typeof events;
export type ArgsOf<C extends Channel> = z.input<(typeof methods)[C]['args']>;
export type ParsedArgsOf<C extends Channel> = z.output<(typeof methods)[C]['args']>;
export type ResultOf<C extends Channel> = Exclude<(typeof methods)[C]['result'], undefined>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const channels = Object.keys(methods) as Channel[];
export const eventNames = Object.keys(events) as EventName[];

/** IPC channel names; prefixed so they cannot collide with Electron's own. */
export const ipcChannel = (c: Channel): string => `hsam:${c}`;
export const ipcEventChannel = (e: EventName): string => `hsam:event:${e}`;

/**
 * Preload-only message (not part of `window.hsam`): the path of a file or folder dropped on the
 * window, which only the preload can learn (Electron's webUtils); main grants it and answers
 * with an `openFile` event. Page script never sees or sends a path.
 */
export const IPC_DROP_CHANNEL = 'hsam:dropped-path';
export const DroppedPath = z.string().min(1).max(4096);

type Namespace = Channel extends `${infer NS}.${string}` ? NS : never;
type EventListenerName<E extends EventName> = `onDid${Capitalize<E>}`;

/** The object the preload exposes as `window.hsam`. Every method resolves; errors are values. */
export type HsamApi = {
  readonly [NS in Namespace]: {
    readonly [C in Channel as C extends `${NS}.${infer M}` ? M : never]: (arg: ArgsOf<C>) => Promise<Result<ResultOf<C>>>;
  };
} & {
  readonly events: {
    readonly [E in EventName as EventListenerName<E>]: (listener: (payload: EventPayload<E>) => void) => () => void;
  };
};

export const eventListenerName = <E extends EventName>(e: E): EventListenerName<E> =>
  `onDid${e.charAt(0).toUpperCase()}${e.slice(1)}` as EventListenerName<E>;

/**
 * Build the `HsamApi` object over any transport: Electron IPC in the preload, a WebSocket in
 * the test host's bridge. Keeps the two exposing exactly the same shape.
 */
export function buildApi(
  invoke: (channel: Channel, arg: unknown) => Promise<Result<unknown>>,
  subscribe: (event: EventName, listener: (payload: unknown) => void) => () => void,
): HsamApi {
  const api: Record<string, Record<string, unknown>> = { events: {} };
  for (const channel of channels) {
    const [ns, name] = channel.split('.') as [string, string];
    const group = (api[ns] ??= {});
    group[name] = (arg: unknown) => invoke(channel, arg);
  }
  for (const e of eventNames) {
    const group = api['events'] as Record<string, unknown>;
    group[eventListenerName(e)] = (listener: (payload: unknown) => void) => subscribe(e, listener);
  }
  return api as unknown as HsamApi;
}
