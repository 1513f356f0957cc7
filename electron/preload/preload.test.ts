/**
 * The preload against a stand-in for Electron's renderer modules (Electron's binary cannot run
 * here): it must expose exactly the contract as `window.hsam` and route calls to the contract's
 * IPC channels.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { channels, eventNames, eventListenerName, IPC_DROP_CHANNEL, ipcChannel, ipcEventChannel } from '../../common/contract/api.js';

type Handler = (event: unknown, payload: unknown) => void;
const exposed = new Map<string, unknown>();
const invoked: [string, unknown[]][] = [];
const listeners = new Map<string, Set<Handler>>();
const sent: [string, unknown[]][] = [];
const windowListeners = new Map<string, (e: unknown) => void>();
const realPaths = new Map<object, string>();

// The preload runs in a page; here it only needs addEventListener for the drop listener.
vi.stubGlobal('window', { addEventListener: (type: string, l: (e: unknown) => void) => windowListeners.set(type, l) });

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke: (channel: string, ...args: unknown[]) => {
      invoked.push([channel, args]);
      return Promise.resolve({ ok: true, value: channel });
    },
    on: (channel: string, h: Handler) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(h)),
    removeListener: (channel: string, h: Handler) => listeners.get(channel)?.delete(h),
    send: (channel: string, ...args: unknown[]) => sent.push([channel, args]),
  },
  // Electron gives a path only for files the user really dropped; made-up Files get ''.
  webUtils: { getPathForFile: (f: object) => realPaths.get(f) ?? '' },
}));

type Api = Record<string, Record<string, (arg: unknown) => unknown>>;
let api: Api;

beforeAll(async () => {
  await import('./preload.js');
  api = exposed.get('hsam') as Api;
});

describe('preload', () => {
  it('exposes only window.hsam, with one function per contract method and event', () => {
    expect([...exposed.keys()]).toEqual(['hsam']);
    const methods = Object.entries(api)
      .filter(([ns]) => ns !== 'events')
      .flatMap(([ns, group]) => Object.keys(group).map((m) => `${ns}.${m}`));
    expect(methods.sort()).toEqual([...channels].sort());
    expect(Object.keys(api['events'] ?? {}).sort()).toEqual(eventNames.map(eventListenerName).sort());
  });

  it('sends each call on its contract channel with its one argument', async () => {
    const r = await api['volume']?.['open']?.({ fileId: 'abc' });
    expect(r).toEqual({ ok: true, value: ipcChannel('volume.open') });
    expect(invoked.at(-1)).toEqual(['hsam:volume.open', [{ fileId: 'abc' }]]);
  });

  it('delivers events to listeners until they unsubscribe', () => {
    const got: unknown[] = [];
    const off = api['events']?.['onDidOpenFile']?.((p: unknown) => got.push(p)) as () => void;
    const fire = (payload: unknown): void => listeners.get(ipcEventChannel('openFile'))?.forEach((h) => h({}, payload));
    fire({ file: { fileId: '1', name: 'a.nii' } });
    off();
    fire({ file: { fileId: '2', name: 'b.nii' } });
    expect(got).toEqual([{ file: { fileId: '1', name: 'a.nii' } }]);
  });
});

describe('preload drag and drop', () => {
  const drop = (files: object[]): void => windowListeners.get('drop')?.({ dataTransfer: { files } });

  it('sends the path of a really dropped file to main, and nothing for made-up ones', () => {
    const real = { name: 'ct.nii.gz' };
    realPaths.set(real, '/data/ct.nii.gz');
    drop([real]);
    drop([{ name: 'forged.nii.gz' }]);
    drop([]);
    expect(sent).toEqual([[IPC_DROP_CHANNEL, ['/data/ct.nii.gz']]]);
  });
});
