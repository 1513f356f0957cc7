/**
 * The handler table behind every API method, built on the Node-side services. Electron main,
 * the CLI and the test host each construct one of these and differ only in the ports they pass
 * in (how a dialog is shown, where events go).
 */
import { createHash, randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { ChosenFile, EventName, EventPayload } from '../../common/contract/api.js';
import { UserFacingError } from '../../common/contract/result.js';
import { createDispatcher, type Dispatch, type Handlers } from './dispatch.js';
import { FileGrants } from './file-grants.js';
import type { FolderScan, SeriesThumbnail } from '../../common/contract/dicom.js';
import { loadDicomSeries, scanDicomFolder, type OnProgress, type ScanResult } from './imaging/dicom/loader.js';
import type { ScannedSeries } from './imaging/dicom/series.js';
import { seriesThumbnail } from './imaging/dicom/thumbnail.js';
import { readVolume } from './imaging/read-volume.js';
import { describeVolume, type Volume } from './imaging/volume.js';
import { Segmentation } from './segmentation.js';
import { defaultExportName, exportStudyLabels, FORMAT_FILES, readLabelSchemas } from './export/label-export.js';
import { exportTrainingSlices } from './export/training-set.js';
import { FineTuning, trainingSetDir } from './finetune/fine-tuning.js';

/** How main asks the user for a file; Electron shows a native dialog. */
export interface Dialogs {
  /** Absolute path the user picked, or null if they cancelled. */
  chooseVolumeFile(): Promise<string | null>;
  /** Absolute path of the folder the user picked (DICOM), or null if they cancelled. */
  chooseFolder(): Promise<string | null>;
  /** Where to save an export (the user may change name and folder), or null if they cancelled. */
  chooseSavePath?(opts: { readonly title: string; readonly defaultName: string; readonly filter: string; readonly extensions: readonly string[] }): Promise<string | null>;
  /** The Python interpreter to run fine-tuning with, or null if they cancelled. */
  choosePython?(): Promise<string | null>;
}

export type EventSink = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface WorkstationOptions {
  readonly version: string;
  readonly dialogs: Dialogs;
  readonly emit: EventSink;
  /** A path from the command line; it is the user's choice, so it is granted. */
  readonly initialPath?: string | undefined;
  /** The bundled sample, opened when no path was given. */
  readonly samplePath?: string | undefined;
  /** The bundled demo model folder, offered at start. */
  readonly defaultModelDir?: string | undefined;
  /** Where label journals and snapshots live, one folder per study. */
  readonly sessionsDir: string;
  /** Where training sets, the model registry and settings live; the folder holding sessionsDir by default. */
  readonly dataDir?: string | undefined;
  /** Label schemas (coded anatomy per class name) for exports. */
  readonly labelSchemasDir?: string | undefined;
  /** native-models/hsam.py, the few-shot trainer; without it fine-tuning is unavailable. */
  readonly trainerScript?: string | undefined;
  readonly log?: (line: string) => void;
}

export interface Workstation {
  readonly files: FileGrants;
  readonly handlers: Handlers;
  readonly dispatch: Dispatch;
  /** Save open labels and stop the inference worker. */
  dispose(): Promise<void>;
}

interface FolderScanState {
  readonly fileId: string;
  readonly result: ScanResult;
  /** Previews asked for so far, by series id (the picker may ask again after a re-render). */
  readonly thumbnails: Map<string, Promise<SeriesThumbnail>>;
}

export function createWorkstation(opts: WorkstationOptions): Workstation {
  const files = new FileGrants();
  /** Opened volumes, with the key that names their source (for their label session). */
  const volumes = new Map<string, { volume: Volume; studyKey: string }>();
  const segmentation = new Segmentation({ sessionsDir: opts.sessionsDir, onProgress: (p) => opts.emit('segmentProgress', p) });
  const dataDir = opts.dataDir ?? dirname(opts.sessionsDir);
  const fineTuning = new FineTuning({
    dataDir,
    bundledDir: opts.defaultModelDir ?? null,
    trainerScript: opts.trainerScript ?? '',
    emit: (p) => opts.emit('finetuneProgress', p),
    ...(opts.log ? { log: opts.log } : {}),
  });
  /** Folder scans of this session, each with the previews made of its series so far. */
  const scans = new Map<string, FolderScanState>();
  const scannedSeries = (scanId: string, seriesId: string): { scan: FolderScanState; series: ScannedSeries } => {
    const scan = scans.get(scanId);
    if (!scan) throw new UserFacingError('not-found', 'That folder scan is no longer available; open the folder again.');
    const series = scan.result.series.find((s) => s.summary.seriesId === seriesId);
    if (!series) throw new UserFacingError('not-found', `The folder has no series "${seriesId}"; pick one from the list.`);
    return { scan, series };
  };
  let initialFile: ChosenFile | null = null;
  if (opts.initialPath) initialFile = files.grant(opts.initialPath, 'command-line');
  else if (opts.samplePath) initialFile = files.grant(opts.samplePath, 'resource');

  // Read on the first export, not at start (the CLI's `info` never needs them); a failed read is retried.
  let schemas: ReturnType<typeof readLabelSchemas> | null = null;
  const labelSchemas = (): ReturnType<typeof readLabelSchemas> => {
    schemas ??= readLabelSchemas(opts.labelSchemasDir).catch((e: unknown) => {
      schemas = null;
      throw e;
    });
    return schemas;
  };
  const loadedCard = () => {
    const card = segmentation.card;
    if (!card) throw new UserFacingError('not-found', 'No model is loaded; load the model whose classes these labels use.');
    return card;
  };

  const opened = (volumeId: string): { volume: Volume; studyKey: string } => {
    const v = volumes.get(volumeId);
    if (!v) throw new UserFacingError('not-found', 'That volume is no longer open; open the file again.');
    return v;
  };

  const open = (v: Volume, studyKey: string): ReturnType<typeof describeVolume> => {
    const volumeId = randomUUID();
    volumes.set(volumeId, { volume: v, studyKey });
    return describeVolume(volumeId, v);
  };
  const progress =
    (fileId: string): OnProgress =>
    (p) =>
      opts.emit('scanProgress', { fileId, ...p });

  const handlers: Handlers = {
    'app.getStartup': async () => {
      // The version the user last switched to (a fine-tuned one), else the bundled demo.
      const active = await fineTuning.registry.active().catch(() => null);
      const dir = active?.available ? active.dir : opts.defaultModelDir;
      return { version: opts.version, initialFile, defaultModel: dir ? files.grant(dir, 'resource') : null };
    },
    'file.chooseVolume': async () => {
      const path = await opts.dialogs.chooseVolumeFile();
      if (path === null) throw new UserFacingError('cancelled', 'No file was chosen.');
      return files.grant(path, 'dialog');
    },
    'file.chooseFolder': async () => {
      const path = await opts.dialogs.chooseFolder();
      if (path === null) throw new UserFacingError('cancelled', 'No folder was chosen.');
      return files.grant(path, 'dialog');
    },
    'volume.open': async ({ fileId }) => {
      const path = files.resolve(fileId);
      return open(await readVolume(path, progress(fileId)), path);
    },
    'dicom.scanFolder': async ({ fileId }): Promise<FolderScan> => {
      const result = await scanDicomFolder(files.resolve(fileId), progress(fileId));
      const scanId = randomUUID();
      scans.set(scanId, { fileId, result, thumbnails: new Map() });
      return { scanId, ...result.summary };
    },
    'dicom.thumbnail': async ({ scanId, seriesId }) => {
      const { scan, series } = scannedSeries(scanId, seriesId);
      let made = scan.thumbnails.get(seriesId);
      if (!made) {
        made = seriesThumbnail(series);
        scan.thumbnails.set(seriesId, made);
      }
      return made;
    },
    'dicom.openSeries': async ({ scanId, seriesId }) => {
      const { scan, series } = scannedSeries(scanId, seriesId);
      return open(await loadDicomSeries(series, progress(scan.fileId)), `${files.resolve(scan.fileId)}#${seriesId}`);
    },
    'file.chooseModelFolder': async () => {
      const path = await opts.dialogs.chooseFolder();
      if (path === null) throw new UserFacingError('cancelled', 'No model folder was chosen.');
      return files.grant(path, 'dialog');
    },
    'model.load': async ({ fileId, device }) => segmentation.loadModel(files.resolve(fileId), device),
    'model.status': async () => segmentation.model,
    'segment.start': async ({ volumeId, batch }) => {
      const { volume, studyKey } = opened(volumeId);
      return segmentation.run(volumeId, volume, studyKey, batch);
    },
    'segment.cancel': async ({ volumeId }) => ({ cancelling: segmentation.cancel(volumeId) }),
    'labels.get': async ({ volumeId }) => {
      const { volume, studyKey } = opened(volumeId);
      return segmentation.labelState(volumeId, volume, studyKey);
    },
    'labels.paint': async ({ volumeId, indices, value, stroke }) => {
      const { volume, studyKey } = opened(volumeId);
      return segmentation.paint(volumeId, volume, studyKey, indices, value, stroke);
    },
    'labels.apply': async ({ volumeId, tool }) => {
      const { volume, studyKey } = opened(volumeId);
      return segmentation.applyTool(volumeId, volume, studyKey, tool);
    },
    'labels.undo': async ({ volumeId }) => {
      const { volume, studyKey } = opened(volumeId);
      return segmentation.undo(volumeId, volume, studyKey, false);
    },
    'labels.redo': async ({ volumeId }) => {
      const { volume, studyKey } = opened(volumeId);
      return segmentation.undo(volumeId, volume, studyKey, true);
    },
    'labels.setSliceStatus': async ({ volumeId, slices, status }) => {
      const { volume, studyKey } = opened(volumeId);
      return segmentation.setSliceStatus(volumeId, volume, studyKey, slices, status);
    },
    'labels.setLocked': async ({ volumeId, classIndex, locked }) => {
      const { volume, studyKey } = opened(volumeId);
      return { locked: await segmentation.setLocked(volumeId, volume, studyKey, classIndex, locked) };
    },
    'review.next': async ({ volumeId }) => {
      const { volume, studyKey } = opened(volumeId);
      return segmentation.nextToReview(volumeId, volume, studyKey);
    },
    'export.labels': async ({ volumeId, format }) => {
      const { volume, studyKey } = opened(volumeId);
      const classes = loadedCard().classes;
      const files = FORMAT_FILES[format];
      const path = await opts.dialogs.chooseSavePath?.({ title: `Export labels (${files.filter})`, defaultName: defaultExportName(volume.name, format), filter: files.filter, extensions: files.extensions });
      if (!path) throw new UserFacingError('cancelled', 'No file was chosen; nothing was exported.');
      const { session } = await segmentation.labels(volumeId, volume, studyKey);
      return exportStudyLabels(format, path, volume, session, classes, await labelSchemas());
    },
    'export.trainingSlices': async ({ volumeId }) => {
      const { volume, studyKey } = opened(volumeId);
      const card = loadedCard();
      const { session } = await segmentation.labels(volumeId, volume, studyKey);
      const setDir = trainingSetDir(dataDir, card);
      const report = await exportTrainingSlices(setDir, card, {
        volume,
        // The set names studies by DICOM series or by a hash of the path: never the path itself.
        studyId: volume.dicom?.seriesInstanceUID ?? createHash('sha256').update(studyKey).digest('hex').slice(0, 24),
        studyName: volume.name,
        labels: session.labels,
        source: session.source,
        origin: session.origin,
        sliceStatus: session.sliceStatus,
        statusAxis: session.opts.statusAxis,
        modelOfSlice: (z) => session.modelOfSlice(z),
      });
      return { setId: report.setId, setName: basename(setDir), slices: report.slices, added: report.added, replaced: report.replaced, total: report.total, heldOut: report.heldOut };
    },
    'finetune.checkPython': () => fineTuning.checkPython(),
    'finetune.choosePython': async () => {
      const path = await opts.dialogs.choosePython?.();
      if (!path) throw new UserFacingError('cancelled', 'No interpreter was chosen.');
      return fineTuning.setPython(path);
    },
    'finetune.start': async ({ steps }) => {
      const card = loadedCard();
      const dir = segmentation.modelDir;
      if (!dir) throw new UserFacingError('not-found', 'No model is loaded; load the model to fine-tune.');
      if (!opts.trainerScript) throw new UserFacingError('not-found', 'This installation has no trainer (native-models/hsam.py); fine-tuning is unavailable.');
      return fineTuning.run(dir, card, steps);
    },
    'finetune.cancel': async () => ({ cancelling: fineTuning.cancel() }),
    'models.list': () => fineTuning.registry.state(),
    'models.activate': async ({ versionId }) => {
      const v = await fineTuning.registry.get(versionId);
      if (!v.available) throw new UserFacingError('not-found', `The folder of ${v.name} ${v.version} is gone; it cannot be used.`);
      const status = await segmentation.loadModel(v.dir);
      await fineTuning.registry.activate(versionId);
      return status;
    },
    'volume.getVoxels': async ({ volumeId }) => ({ volumeId, voxels: opened(volumeId).volume.voxels }),
    'volume.close': async ({ volumeId }) => {
      await segmentation.close(volumeId);
      return { closed: volumes.delete(volumeId) };
    },
  };
  return {
    files,
    handlers,
    dispatch: createDispatcher(handlers, opts.log),
    dispose: async () => {
      await fineTuning.dispose();
      await segmentation.dispose();
    },
  };
}
