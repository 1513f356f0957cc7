import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channels, IPC_DROP_CHANNEL, ipcChannel } from '../../common/contract/api.js';
import type { Result } from '../../common/contract/result.js';
import { REPO_ROOT } from '../../test-support/paths.js';
import { createWorkstation } from '../services/workstation.js';
import { registerApi, registerDrop, type IpcInvokeEventLike, type IpcMainLike } from './ipc.js';
import { isAppUrl } from './security.js';

type Listener = (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<Result<unknown>>;
type MessageListener = (event: IpcInvokeEventLike, ...args: unknown[]) => void;

/** Records what main registers, like Electron's ipcMain, and lets the test invoke it. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  readonly listeners = new Map<string, MessageListener[]>();
  handle(channel: string, listener: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  on(channel: string, listener: MessageListener): void {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
  }
  send(channel: string, url: string | null, ...args: unknown[]): void {
    for (const l of this.listeners.get(channel) ?? []) l({ senderFrame: url === null ? null : { url } }, ...args);
  }
  invoke(channel: string, url: string | null, ...args: unknown[]): Promise<Result<unknown>> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return h({ senderFrame: url === null ? null : { url } }, ...args);
  }
}

const APP = 'app://workstation/index.html';
const sample = join(REPO_ROOT, 'resources', 'sample', 'example_ct_sm.nii.gz');

function wire(): FakeIpcMain {
  const ipc = new FakeIpcMain();
  const ws = createWorkstation({
    version: '1.2.3',
    emit: () => {},
    samplePath: sample,
    sessionsDir: mkdtempSync(join(tmpdir(), 'hsam-ipc-')),
    dialogs: { chooseVolumeFile: () => Promise.resolve(null), chooseFolder: () => Promise.resolve(null) },
  });
  registerApi(ipc, ws.dispatch, isAppUrl);
  return ipc;
}

describe('Electron main wiring (fake ipcMain)', () => {
  it('registers exactly one handler per contract channel', () => {
    const ipc = wire();
    expect([...ipc.handlers.keys()].sort()).toEqual(channels.map(ipcChannel).sort());
    expect(channels).toEqual([
      'app.getStartup',
      'app.about',
      'app.licenses',
      'file.chooseVolume',
      'file.chooseFolder',
      'volume.open',
      'dicom.scanFolder',
      'dicom.openSeries',
      'dicom.thumbnail',
      'file.chooseModelFolder',
      'file.chooseModelArchive',
      'models.import',
      'model.load',
      'model.status',
      'segment.start',
      'segment.cancel',
      'segment.uncertainty',
      'labels.get',
      'labels.paint',
      'labels.apply',
      'labels.preview',
      'labels.statistics',
      'labels.import',
      'labels.undo',
      'labels.redo',
      'labels.setSliceStatus',
      'labels.setLocked',
      'review.next',
      'export.labels',
      'export.trainingSlices',
      'finetune.checkPython',
      'finetune.choosePython',
      'finetune.start',
      'finetune.cancel',
      'models.list',
      'models.activate',
      'file.chooseWorklistFile',
      'worklist.open',
      'worklist.get',
      'worklist.openCase',
      'worklist.setStatus',
      'worklist.saveAndNext',
      'labelSet.get',
      'labelSet.set',
      'volume.close',
    ]);
  });

  it('serves a real request end to end: startup, open the sample, voxels as a typed array', async () => {
    const ipc = wire();
    const startup = await ipc.invoke(ipcChannel('app.getStartup'), APP, {});
    if (!startup.ok) throw new Error(startup.error.message);
    const { initialFile, version } = startup.value as { initialFile: { fileId: string; name: string }; version: string };
    expect(version).toBe('1.2.3');
    expect(initialFile.name).toBe('example_ct_sm.nii.gz');
    const opened = await ipc.invoke(ipcChannel('volume.open'), APP, { fileId: initialFile.fileId });
    if (!opened.ok) throw new Error(opened.error.message);
    // One round trip: geometry, voxels (binary) and labels.
    const study = opened.value as { meta: { dims: number[] }; voxels: unknown; labels: { labels: unknown } };
    expect(study.meta.dims).toEqual([122, 101, 30]);
    expect(study.labels.labels).toBeInstanceOf(Uint8Array);
    const array = study.voxels;
    expect(array).toBeInstanceOf(Int16Array);
    expect((array as Int16Array).length).toBe(122 * 101 * 30);
  });

  it('rejects bad arguments with a clear error, for every channel', async () => {
    const ipc = wire();
    for (const c of channels) {
      const r = await ipc.invoke(ipcChannel(c), APP, { unexpected: 1 });
      expect(r.ok, c).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('invalid-argument');
        expect(r.error.message).toContain(`${c}: invalid argument.`);
      }
    }
    const wrongType = await ipc.invoke(ipcChannel('volume.open'), APP, { fileId: 42 });
    expect(wrongType).toEqual({
      ok: false,
      error: {
        code: 'invalid-argument',
        message: 'volume.open: invalid argument. ✖ Invalid input: expected string, received number\n  → at fileId',
      },
    });
    const noArg = await ipc.invoke(ipcChannel('volume.open'), APP);
    expect(noArg).toEqual({ ok: false, error: { code: 'invalid-argument', message: 'volume.open: expected exactly one argument, got 0.' } });
  });

  it('refuses ids the user never chose', async () => {
    const ipc = wire();
    const r = await ipc.invoke(ipcChannel('volume.open'), APP, { fileId: '/etc/passwd' });
    expect(r).toEqual({ ok: false, error: { code: 'not-permitted', message: 'That file was not chosen in this session; open it again.' } });
  });

  it('refuses requests from any page that is not the workstation', async () => {
    const ipc = wire();
    for (const url of ['https://example.com/', 'file:///tmp/x.html', 'app://evil/index.html', 'app://workstation.evil/']) {
      const r = await ipc.invoke(ipcChannel('app.getStartup'), url, {});
      expect(r.ok ? 'ok' : r.error.code, url).toBe('not-permitted');
    }
    expect((await ipc.invoke(ipcChannel('app.getStartup'), null, {})).ok).toBe(false);
  });

  it('a cancelled dialog is an error value, not an exception', async () => {
    const r = await wire().invoke(ipcChannel('file.chooseVolume'), APP, {});
    expect(r).toEqual({ ok: false, error: { code: 'cancelled', message: 'No file was chosen.' } });
  });
});

describe('drag and drop from the preload', () => {
  it('passes on one dropped path from our own renderer, and nothing else', () => {
    const ipc = new FakeIpcMain();
    const dropped: string[] = [];
    registerDrop(ipc, isAppUrl, (p) => dropped.push(p));
    ipc.send(IPC_DROP_CHANNEL, APP, '/data/study/ct.nii.gz');
    ipc.send(IPC_DROP_CHANNEL, 'https://example.com/', '/etc/shadow');
    ipc.send(IPC_DROP_CHANNEL, null, '/etc/shadow');
    ipc.send(IPC_DROP_CHANNEL, APP, { path: '/etc/shadow' });
    ipc.send(IPC_DROP_CHANNEL, APP, '/a', '/b');
    ipc.send(IPC_DROP_CHANNEL, APP, '');
    expect(dropped).toEqual(['/data/study/ct.nii.gz']);
  });
});
