/**
 * Test-host stand-in for the Electron preload, injected only by the test host: builds the same
 * `window.hsam` from the contract, over a same-origin WebSocket instead of Electron IPC. Never
 * part of the product build.
 */
import { buildApi, type EventName } from '../../common/contract/api';
import type { Result } from '../../common/contract/result';
import { decode, encode } from './wire';

type Reply = { id: number; result: Result<unknown> } | { event: EventName; payload: unknown };

const socket = new WebSocket(`ws://${location.host}/__test__/api`);
socket.binaryType = 'arraybuffer';
const opened = new Promise<void>((resolve) => socket.addEventListener('open', () => resolve()));
const pending = new Map<number, (r: Result<unknown>) => void>();
const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
let nextId = 1;

socket.addEventListener('message', (m: MessageEvent<ArrayBuffer>) => {
  const reply = decode(m.data) as Reply;
  if ('id' in reply) {
    pending.get(reply.id)?.(reply.result);
    pending.delete(reply.id);
  } else {
    for (const l of listeners.get(reply.event) ?? []) l(reply.payload);
  }
});

const api = buildApi(
  async (channel, arg) => {
    await opened;
    const id = nextId++;
    return new Promise<Result<unknown>>((resolve) => {
      pending.set(id, resolve);
      socket.send(encode({ id, channel, arg }));
    });
  },
  (event, listener) => {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    set.add(listener);
    return () => void set.delete(listener);
  },
);

Object.defineProperty(window, 'hsam', { value: Object.freeze(api), writable: false });
