/**
 * The handler table behind every API method, built on the Node-side services. Electron main,
 * the CLI and the test host each construct one of these and differ only in the ports they pass
 * in (how a dialog is shown, where events go).
 */
import { randomUUID } from 'node:crypto';
import type { ChosenFile, EventName, EventPayload } from '../contract/api.js';
import { UserFacingError } from '../contract/result.js';
import { createDispatcher, type Dispatch, type Handlers } from './dispatch.js';
import { FileGrants } from './file-grants.js';
import type { FolderScan } from '../contract/dicom.js';
import { loadDicomSeries, scanDicomFolder, type OnProgress, type ScanResult } from './imaging/dicom/loader.js';
import { readVolume } from './imaging/read-volume.js';
import { describeVolume, type Volume } from './imaging/volume.js';
import { Segmentation } from './segmentation.js';

/** How main asks the user for a file; Electron shows a native dialog. */
export interface Dialogs {
  /** Absolute path the user picked, or null if they cancelled. */
  chooseVolumeFile(): Promise<string | null>;
  /** Absolute path of the folder the user picked (DICOM), or null if they cancelled. */
  chooseFolder(): Promise<string | null>;
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
  readonly log?: (line: string) => void;
}

export interface Workstation {
  readonly files: FileGrants;
  readonly handlers: Handlers;
  readonly dispatch: Dispatch;
  /** Save open labels and stop the inference worker. */
  dispose(): Promise<void>;
}

export function createWorkstation(opts: WorkstationOptions): Workstation {
  const files = new FileGrants();
  /** Opened volumes, with the key that names their source (for their label session). */
  const volumes = new Map<string, { volume: Volume; studyKey: string }>();
  const segmentation = new Segmentation({ sessionsDir: opts.sessionsDir, onProgress: (p) => opts.emit('segmentProgress', p) });
  const defaultModel = opts.defaultModelDir ? files.grant(opts.defaultModelDir, 'resource') : null;
  const scans = new Map<string, { fileId: string; result: ScanResult }>();
  let initialFile: ChosenFile | null = null;
  if (opts.initialPath) initialFile = files.grant(opts.initialPath, 'command-line');
  else if (opts.samplePath) initialFile = files.grant(opts.samplePath, 'resource');

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
    'app.getStartup': async () => ({ version: opts.version, initialFile, defaultModel }),
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
      scans.set(scanId, { fileId, result });
      return { scanId, ...result.summary };
    },
    'dicom.openSeries': async ({ scanId, seriesId }) => {
      const scan = scans.get(scanId);
      if (!scan) throw new UserFacingError('not-found', 'That folder scan is no longer available; open the folder again.');
      const series = scan.result.series.find((s) => s.summary.seriesId === seriesId);
      if (!series) throw new UserFacingError('not-found', `The folder has no series "${seriesId}"; pick one from the list.`);
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
    'volume.getVoxels': async ({ volumeId }) => ({ volumeId, voxels: opened(volumeId).volume.voxels }),
    'volume.close': async ({ volumeId }) => {
      await segmentation.close(volumeId);
      return { closed: volumes.delete(volumeId) };
    },
  };
  return { files, handlers, dispatch: createDispatcher(handlers, opts.log), dispose: () => segmentation.dispose() };
}
