/**
 * The preload: exposes exactly the contract's API as `window.hsam` through contextBridge and
 * nothing else (no ipcRenderer, no Node). Runs sandboxed, so it is bundled into one CommonJS file.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { buildApi, IPC_DROP_CHANNEL, ipcChannel, ipcEventChannel } from '../../common/contract/api.js';
import type { Result } from '../../common/contract/result.js';

const api = buildApi(
  (channel, arg) => ipcRenderer.invoke(ipcChannel(channel), arg) as Promise<Result<unknown>>,
  (event, listener) => {
    const handler = (_e: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(ipcEventChannel(event), handler);
    return () => void ipcRenderer.removeListener(ipcEventChannel(event), handler);
  },
);

contextBridge.exposeInMainWorld('hsam', api);

// Drag and drop: the preload turns the dropped File into its path and hands it straight to main.
// Files the page makes up itself have no path (webUtils returns ''), so nothing is sent for them.
window.addEventListener(
  'drop',
  (e) => {
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    const path = webUtils.getPathForFile(file);
    if (path) ipcRenderer.send(IPC_DROP_CHANNEL, path);
  },
  true,
);
