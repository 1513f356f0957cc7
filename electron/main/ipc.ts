/**
 * Generic wiring of the contract onto Electron's ipcMain: one `handle` per contract channel,
 * each going through the shared dispatcher. Written against a structural ipcMain so it is
 * tested under plain Node with a fake; it imports nothing from Electron.
 *
 * Rejected: requests from any frame that is not our own renderer, and calls with other than
 * exactly one argument.
 */
import { channels, DroppedPath, IPC_DROP_CHANNEL, ipcChannel } from '../../common/contract/api.js';
import { fail, type Result } from '../../common/contract/result.js';
import type { TransportDispatch } from '../services/dispatch.js';

export interface IpcInvokeEventLike {
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<Result<unknown>>): void;
  on(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => void): void;
}

export function registerApi(ipc: IpcMainLike, dispatch: TransportDispatch, isTrustedUrl: (url: string) => boolean): void {
  for (const channel of channels) {
    ipc.handle(ipcChannel(channel), async (event, ...args) => {
      const url = event.senderFrame?.url;
      if (url === undefined || !isTrustedUrl(url)) {
        return fail('not-permitted', `${channel}: refused a request from a page that is not the workstation.`);
      }
      if (args.length !== 1) return fail('invalid-argument', `${channel}: expected exactly one argument, got ${args.length}.`);
      return dispatch(channel, args[0]);
    });
  }
}

/**
 * The preload's drop message: a path the user dropped on the window. Accepted only from our own
 * renderer and only as one plain string; anything else is ignored (there is no one to answer).
 */
export function registerDrop(ipc: IpcMainLike, isTrustedUrl: (url: string) => boolean, onDrop: (path: string) => void): void {
  ipc.on(IPC_DROP_CHANNEL, (event, ...args) => {
    const url = event.senderFrame?.url;
    const path = DroppedPath.safeParse(args[0]);
    if (url === undefined || !isTrustedUrl(url) || args.length !== 1 || !path.success) return;
    onDrop(path.data);
  });
}
