/**
 * The preload: exposes exactly the contract's API as `window.hsam` through contextBridge and
 * nothing else (no ipcRenderer, no Node). Runs sandboxed, so it is bundled into one CommonJS file.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { buildApi, ipcChannel, ipcEventChannel } from '../contract/api.js';
import type { Result } from '../contract/result.js';

const api = buildApi(
  (channel, arg) => ipcRenderer.invoke(ipcChannel(channel), arg) as Promise<Result<unknown>>,
  (event, listener) => {
    const handler = (_e: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(ipcEventChannel(event), handler);
    return () => void ipcRenderer.removeListener(ipcEventChannel(event), handler);
  },
);

contextBridge.exposeInMainWorld('hsam', api);
