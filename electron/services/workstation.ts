/**
 * The handler table behind every API method, built on the Node-side services. Electron main,
 * the CLI and the test host each construct one of these and differ only in the ports they pass
 * in (how a dialog is shown, where events go).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { rm } from 'node:fs/promises';
import { versionVerdict } from '../../common/model-verdict.js';
import { unpackModelArchive } from './models/model-archive.js';
import { loadModelFolder } from './inference/model-folder.js';
import { buildApi, type ChosenFile, type EventName, type EventPayload, type HsamApi, type OpenedStudy } from '../../common/contract/api.js';
import { UserFacingError } from '../../common/contract/result.js';
import type { LabelChange } from '../../common/contract/segmentation.js';
import { createDispatcher, type Handlers, type TransportDispatch } from './dispatch.js';
import { FileGrants } from './file-grants.js';
import type { FolderScan, SeriesThumbnail } from '../../common/contract/dicom.js';
import { loadDicomSeries, scanDicomFolder, type OnProgress, type ScanResult } from './imaging/dicom/loader.js';
import type { ScannedSeries } from './imaging/dicom/series.js';
import { seriesThumbnail } from './imaging/dicom/thumbnail.js';
import { readVolume } from './imaging/read-volume.js';
import { describeVolume, type Volume } from './imaging/volume.js';
import { InFlight } from './in-flight.js';
import { ModelHost } from './models/model-host.js';
import { Studies } from './studies/studies.js';
import type { Study, StudyChange } from './studies/study.js';
import { defaultExportName, exportStudyLabels, FORMAT_FILES, readLabelSchemas } from './export/label-export.js';
import { exportTrainingSlices } from './export/training-set.js';
import { FineTuning, trainingSetDir } from './finetune/fine-tuning.js';
import { refuseOverwritingInputs } from './storage/output-guard.js';
import { WorklistHost, type CaseEvent } from './worklist/worklist-host.js';
import { LabelSetStore } from './labels/label-set-store.js';
import { importOntoStudy } from './interop/import-onto-study.js';

/** How main asks the user for a file; Electron shows a native dialog. */
export interface Dialogs {
  /** Absolute path the user picked, or null if they cancelled. */
  chooseVolumeFile(): Promise<string | null>;
  /** Absolute path of the folder the user picked (DICOM), or null if they cancelled. */
  chooseFolder(opts?: { readonly title: string }): Promise<string | null>;
  /** A file to open of one kind (e.g. a zipped model), or null if they cancelled. */
  chooseFile?(opts: { readonly title: string; readonly filter: string; readonly extensions: readonly string[] }): Promise<string | null>;
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
  /** The third-party licence notices shipped with the app (see scripts/dist.mjs). */
  readonly licensesPath?: string | undefined;
  readonly log?: (line: string) => void;
}

export interface Workstation {
  readonly files: FileGrants;
  readonly handlers: Handlers;
  /** For transports (Electron IPC, the test host): any channel name, any argument. */
  readonly dispatch: TransportDispatch;
  /** The same API, typed, for callers in this process (the CLI, tests). */
  readonly api: HsamApi;
  /** The open studies (for benchmarks and tests that look at main's side, e.g. undo history). */
  readonly studies: Studies;
  /** Save open labels and stop the inference worker. */
  dispose(): Promise<void>;
}

interface FolderScanState {
  readonly fileId: string;
  readonly result: ScanResult;
  /** Previews asked for so far, by series id (the picker may ask again after a re-render). */
  readonly thumbnails: Map<string, Promise<SeriesThumbnail>>;
}

/** The onnxruntime-node package in use (its native library carries the same version). */
function onnxruntimeVersion(): string {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** A study's change as the answer for one of its volumes. */
const forVolume = (volumeId: string, c: StudyChange): LabelChange => ({ volumeId, ...c });

export function createWorkstation(opts: WorkstationOptions): Workstation {
  const files = new FileGrants();
  const models = new ModelHost();
  const studies = new Studies(opts.sessionsDir, opts.log, (volumeId, message) => opts.emit('studyNotice', { volumeId, message }));
  /** Model runs until their result is merged into the study, so closing can wait for them. */
  const runs = new InFlight();
  const dataDir = opts.dataDir ?? dirname(opts.sessionsDir);
  const fineTuning = new FineTuning({
    dataDir,
    bundledDir: opts.defaultModelDir ?? null,
    trainerScript: opts.trainerScript ?? '',
    emit: (p) => opts.emit('finetuneProgress', p),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const labelSet = new LabelSetStore(dataDir);
  const worklist = new WorklistHost({ dataDir, studies, models, emit: (state) => opts.emit('worklistChanged', state), log: opts.log });
  /** A study changed: its worklist case (if it is one) records it; a failed record never fails the edit. */
  const marked = async <T>(volumeId: string, event: CaseEvent, result: T): Promise<T> => {
    const study = await studies.get(volumeId);
    await worklist.mark(study.source, event).catch((e: unknown) => opts.log?.(`worklist: ${e instanceof Error ? e.message : String(e)}`));
    return result;
  };
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
  const loadedCard = () => models.requireCard('load the model whose classes these labels use');

  /** A volume just read becomes an open study: one answer with its geometry, voxels and labels. */
  const openStudy = async (v: Volume, source: string, studyKey = source) => {
    const volumeId = randomUUID();
    const study = await studies.open(volumeId, v, source, studyKey);
    // The labels' state is taken when the answer is sent (see worklist.openCase: labels may be added first).
    return { study, opened: (): OpenedStudy => ({ meta: describeVolume(volumeId, v), voxels: v.voxels, labels: study.state(volumeId) }) };
  };
  const open = async (v: Volume, source: string, studyKey = source): Promise<OpenedStudy> => (await openStudy(v, source, studyKey)).opened();
  const progress =
    (fileId: string): OnProgress =>
    (p) =>
      opts.emit('scanProgress', { fileId, ...p });

  const handlers: Handlers = {
    'app.getStartup': async () => {
      // The version the user last switched to (a fine-tuned one), else the bundled demo.
      const active = await fineTuning.registry.active().catch(() => null);
      const dir = active?.available ? active.dir : opts.defaultModelDir;
      return { version: opts.version, initialFile, initialIsSample: !opts.initialPath, defaultModel: dir ? files.grant(dir, 'resource') : null };
    },
    'app.about': async () => {
      const m = models.status;
      return {
        app: { name: 'H-SAM Workstation', version: opts.version },
        electron: process.versions['electron'] ?? null,
        chromium: process.versions['chrome'] ?? null,
        node: process.versions.node,
        onnxruntime: onnxruntimeVersion(),
        model: m && { name: m.name, version: m.version, provider: m.provider },
        licenses: opts.licensesPath !== undefined && existsSync(opts.licensesPath),
      };
    },
    'app.licenses': async () => {
      if (!opts.licensesPath) throw new UserFacingError('not-found', 'This installation has no licence notices file.');
      const text = await readFile(opts.licensesPath, 'utf8').catch(() => {
        throw new UserFacingError('not-found', 'The licence notices file of this installation is missing; build it with "npm run dist" (or see the README).');
      });
      return { text };
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
      const folder = files.resolve(scan.fileId);
      return open(await loadDicomSeries(series, progress(scan.fileId)), folder, `${folder}#${seriesId}`);
    },
    'file.chooseModelFolder': async () => {
      const path = await opts.dialogs.chooseFolder({ title: 'Open model folder (model.json and its ONNX graphs)' });
      if (path === null) throw new UserFacingError('cancelled', 'No model folder was chosen.');
      return files.grant(path, 'dialog');
    },
    'file.chooseModelArchive': async () => {
      const path = await opts.dialogs.chooseFile?.({ title: 'Open zipped model folder', filter: 'Zipped model folder', extensions: ['zip'] });
      if (!path) throw new UserFacingError('cancelled', 'No model archive was chosen.');
      return files.grant(path, 'dialog');
    },
    'file.chooseWorklistFile': async () => {
      const path = await opts.dialogs.chooseFile?.({ title: 'Open worklist (a list of studies, one path a line)', filter: 'Worklist', extensions: ['txt', 'lst', 'list', 'csv'] });
      if (!path) throw new UserFacingError('cancelled', 'No worklist file was chosen.');
      return files.grant(path, 'dialog');
    },
    'models.import': async ({ fileId }) => {
      const path = files.resolve(fileId);
      const zipped = /\.zip$/i.test(path);
      // A zip is unpacked beside the registry and moved in; a folder is copied (the user keeps theirs).
      const staging = join(dataDir, 'models', `.unpacking-${randomUUID()}`);
      try {
        const dir = zipped ? await unpackModelArchive(path, staging) : path;
        const { card } = await loadModelFolder(dir);
        // The same model again (e.g. the demo's own folder): the registered version is used, not a copy.
        const known = (await fineTuning.registry.state()).versions.find((x) => x.name === card.name && x.version === card.version);
        const v = known ?? (await fineTuning.registry.register(dir, { mode: zipped ? 'move' : 'copy' }));
        const version = (await fineTuning.registry.state()).versions.find((x) => x.id === v.id)!;
        let loaded = null;
        if (!versionVerdict(version).worse) {
          loaded = await models.load((await fineTuning.registry.get(v.id)).dir);
          await fineTuning.registry.activate(v.id);
        }
        return { registry: await fineTuning.registry.state(), version, loaded };
      } finally {
        if (zipped) await rm(staging, { recursive: true, force: true });
      }
    },
    'model.load': async ({ fileId, device }) => models.load(files.resolve(fileId), device),
    'model.status': async () => models.status,
    'segment.start': ({ volumeId, batch }) =>
      runs.track(
        (async () => {
          // The annotator's run comes first: the background one stops (it is redone on the next open).
          worklist.stopPrefetch();
          const study = studies.get(volumeId);
          const volume = study.then((s) => s.volumeForWorker());
          const classCount = models.status?.classes.length;
          let shown: Study | null = null;
          void study.then((s) => (shown = s), () => {});
          const run = await models.run(volumeId, volume, {
            batch,
            onProgress: (p) => opts.emit('segmentProgress', { volumeId, ...p }),
            // Labels appear slice by slice while the run goes on.
            onSlices: (slices, labels) => {
              if (shown) opts.emit('segmentLabels', { volumeId, ...shown.previewModelRun(labels, slices, classCount) });
            },
          });
          const change = forVolume(volumeId, await (await study).applyModelRun(run, run.model, classCount));
          if (run.completed.length > 0) await marked(volumeId, { kind: 'model', by: `${run.model.name} ${run.model.version}` }, null);
          return {
            volumeId,
            model: run.model,
            provider: run.provider,
            slices: run.uncertainty.length,
            completed: run.completed.length,
            cancelled: run.cancelled,
            seconds: run.seconds,
            secondsPerSlice: run.completed.length > 0 ? run.seconds / run.completed.length : 0,
            changedVoxels: change.indices.length,
            uncertainty: Array.from(run.uncertainty, (u) => (Number.isNaN(u) ? null : u)),
            change,
          };
        })(),
      ),
    'segment.cancel': async ({ volumeId }) => ({ cancelling: models.cancel(volumeId) }),
    'segment.uncertainty': async ({ volumeId }) => {
      const values = (await studies.get(volumeId)).entropy;
      return values && { volumeId, values };
    },
    'labels.get': async ({ volumeId }) => (await studies.get(volumeId)).state(volumeId),
    'labels.paint': async ({ volumeId, indices, value, stroke, paintOver, editable }) =>
      marked(volumeId, { kind: 'edit' }, forVolume(volumeId, await (await studies.get(volumeId)).paint(indices, value, stroke, { paintOver, editable }))),
    'labels.preview': async ({ volumeId, tool }) => ({ volumeId, ...(await (await studies.get(volumeId)).previewTool(tool)) }),
    'labels.statistics': async ({ volumeId }) => ({ segments: (await studies.get(volumeId)).statistics() }),
    'labels.apply': async ({ volumeId, tool }) => marked(volumeId, { kind: 'edit' }, forVolume(volumeId, await (await studies.get(volumeId)).applyTool(tool))),
    'labels.import': async ({ volumeId, fileId, as, classes }) => {
      const study = await studies.get(volumeId);
      const path = files.resolve(fileId);
      // The annotator's own labels count as known classes: a file's "lesion" is their "lesion".
      const extra = await labelSet.extra();
      const { studyChange, ...r } = await importOntoStudy(study, {
        path,
        as,
        classesPath: classes === undefined ? undefined : files.resolve(classes),
        modelClasses: models.card ? [...models.card.classes, ...extra] : [],
        schema: await labelSchemas(),
      });
      // Classes new to both become labels of the annotator's own, kept for the next studies too.
      const added = r.extraClasses.filter((c) => !extra.some((l) => l.index === c.index));
      if (added.length > 0) {
        await labelSet.set(
          { extra: [...extra, ...added.map((c) => ({ index: c.index, name: c.name.slice(0, 64), color: [...c.color] as [number, number, number] }))] },
          models.card?.classes ?? [],
        );
      }
      return marked(volumeId, as === 'human' ? { kind: 'edit' } : { kind: 'model', by: `imported ${basename(path)}` }, { ...r, change: forVolume(volumeId, studyChange) });
    },
    'labels.undo': async ({ volumeId }) => {
      const c = await (await studies.get(volumeId)).undo(false);
      return c && forVolume(volumeId, c);
    },
    'labels.redo': async ({ volumeId }) => {
      const c = await (await studies.get(volumeId)).undo(true);
      return c && forVolume(volumeId, c);
    },
    'labels.setSliceStatus': async ({ volumeId, slices, status }) => forVolume(volumeId, await (await studies.get(volumeId)).setSliceStatus(slices, status)),
    'labels.setLocked': async ({ volumeId, classIndex, locked }) => ({ locked: (await studies.get(volumeId)).setLocked(classIndex, locked) }),
    'review.next': async ({ volumeId }) => (await studies.get(volumeId)).nextToReview(),
    'export.labels': async ({ volumeId, format, segType }) => {
      if (segType && format !== 'dicom-seg') throw new UserFacingError('invalid-argument', 'A segmentation type applies to DICOM SEG only.');
      const study = await studies.get(volumeId);
      // The annotator's own labels export with the model's classes (unknown names get generic codes and a warning).
      const classes = [...loadedCard().classes, ...(await labelSet.extra())];
      const files = FORMAT_FILES[format];
      const path = await opts.dialogs.chooseSavePath?.({ title: `Export labels (${files.filter})`, defaultName: defaultExportName(study.volume.name, format), filter: files.filter, extensions: files.extensions });
      if (!path) throw new UserFacingError('cancelled', 'No file was chosen; nothing was exported.');
      await refuseOverwritingInputs(path, [study.source]);
      const segmentationType = segType === 'labelmap' ? 'LABELMAP' : undefined;
      const result = await exportStudyLabels({ format, path, volume: study.volume, study: study.session, classes, schema: await labelSchemas(), segmentationType });
      return marked(volumeId, { kind: 'export' }, result);
    },
    'export.trainingSlices': async ({ volumeId }) => {
      const study = await studies.get(volumeId);
      const { volume, session } = study;
      const card = loadedCard();
      const setDir = trainingSetDir(dataDir, card);
      const report = await exportTrainingSlices(setDir, card, {
        volume,
        // The set names studies by DICOM series or by a hash of the path: never the path itself.
        studyId: volume.dicom?.seriesInstanceUID ?? createHash('sha256').update(study.key).digest('hex').slice(0, 24),
        studyName: volume.name,
        labels: session.labels,
        source: session.source,
        origin: session.origin,
        sliceStatus: session.sliceStatus,
        statusAxis: study.statusAxis,
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
      const dir = models.dir;
      if (!dir) throw new UserFacingError('not-found', 'No model is loaded; load the model to fine-tune.');
      if (!opts.trainerScript) throw new UserFacingError('not-found', 'This installation has no trainer (native-models/hsam.py); fine-tuning is unavailable.');
      return fineTuning.run(dir, card, steps);
    },
    'finetune.cancel': async () => ({ cancelling: fineTuning.cancel() }),
    'models.list': () => fineTuning.registry.state(),
    'models.activate': async ({ versionId }) => {
      const v = await fineTuning.registry.get(versionId);
      if (!v.available) throw new UserFacingError('not-found', `The folder of ${v.name} ${v.version} is gone; it cannot be used.`);
      const status = await models.load(v.dir);
      await fineTuning.registry.activate(versionId);
      return status;
    },
    'worklist.open': async ({ fileId }) => worklist.open(files.resolve(fileId)),
    'worklist.get': () => worklist.get(),
    'worklist.openCase': async ({ index, prefetchNext }) => {
      const r = await worklist.openCase(index, async (c) => {
        const { study, opened } = await openStudy(c.volume, c.source, c.key);
        return { study, opened };
      }, prefetchNext ?? false);
      return { ...r, study: r.study() };
    },
    'worklist.setStatus': async ({ index, status }) => worklist.setStatus(index, status),
    'worklist.saveAndNext': async ({ volumeId }) => worklist.saveAndNext(await studies.get(volumeId)),
    'labelSet.get': () => labelSet.get(),
    'labelSet.set': async (next) => labelSet.set(next, models.status?.classes ?? []),
    'volume.close': async ({ volumeId }) => ({ closed: await studies.close(volumeId) }),
  };
  const dispatch = createDispatcher(handlers, opts.log);
  return {
    files,
    handlers,
    dispatch,
    // Events reach in-process callers through `opts.emit`; the typed client only makes requests.
    api: buildApi(dispatch, () => () => {}),
    studies,
    dispose: async () => {
      await fineTuning.dispose();
      await worklist.cancelPrefetch();
      // Runs first: cancelled, their finished slices merged and saved with the rest.
      models.cancelAll();
      await runs.settled(30_000);
      await studies.dispose();
      await models.dispose();
    },
  };
}
