/**
 * The test host (test-only, never shipped): serves the built renderer on 127.0.0.1 with the
 * product's Content-Security-Policy, and answers the same API over a WebSocket with the same
 * handler table and validation as Electron main. Playwright drives the real renderer through it
 * in Debian's Chromium, since Electron's own binary cannot be downloaded on our machines.
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName, EventPayload } from '../../common/contract/api.js';
import { CONTENT_SECURITY_POLICY, resolveInside } from '../../electron/main/security.js';
import { useBaselineWasmCompiler } from '../../electron/services/imaging/dicom/wasm.js';
import { appPaths } from '../../electron/services/app-paths.js';
import { createWorkstation, type Workstation } from '../../electron/services/workstation.js';
import { decode, encode } from './wire.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const RENDERER_DIR = join(root, 'dist', 'renderer');
export const SAMPLE_PATH = join(root, 'resources', 'sample', 'example_ct_sm.nii.gz');
export const DEMO_MODEL = join(root, 'native-models', 'models', 'demo');

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface TestHost {
  readonly url: string;
  readonly workstation: Workstation;
  /** Paths the fake dialogs (open, save, Python) return, first in first out; empty means the user cancels. */
  readonly dialogAnswers: string[];
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  close(): Promise<void>;
  /** Stop answering at once, as a killed process would: nothing is saved, only the journal remains. */
  crash(): Promise<void>;
}

async function buildBridge(): Promise<string> {
  const out = await build({
    entryPoints: [join(root, 'e2e', 'host', 'bridge.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  });
  return out.outputFiles[0]?.text ?? '';
}

export interface TestHostOptions {
  readonly initialPath?: string;
  readonly samplePath?: string;
  /** Label sessions folder; a fresh temporary one unless a test restarts a host on the same. */
  readonly sessionsDir?: string;
  /** Training sets, model registry and settings; a fresh temporary one by default. */
  readonly dataDir?: string;
}

export async function startTestHost(opts: TestHostOptions = {}): Promise<TestHost> {
  // As Electron's main does at start.
  useBaselineWasmCompiler();
  const bridge = await buildBridge();
  const sockets = new Set<WebSocket>();
  const dialogAnswers: string[] = [];
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    const frame = encode({ event, payload });
    for (const s of sockets) s.send(frame);
  };
  const workstation = createWorkstation({
    version: 'test-host',
    emit,
    initialPath: opts.initialPath,
    samplePath: opts.samplePath ?? SAMPLE_PATH,
    defaultModelDir: DEMO_MODEL,
    sessionsDir: opts.sessionsDir ?? mkdtempSync(join(tmpdir(), 'hsam-host-sessions-')),
    dataDir: opts.dataDir ?? mkdtempSync(join(tmpdir(), 'hsam-host-data-')),
    labelSchemasDir: join(root, 'resources', 'label-schemas'),
    trainerScript: join(root, 'native-models', 'hsam.py'),
    licensesPath: appPaths({ isPackaged: false, appRoot: root, resourcesPath: '' }).licensesPath,
    dialogs: {
      chooseVolumeFile: () => Promise.resolve(dialogAnswers.shift() ?? null),
      chooseFolder: () => Promise.resolve(dialogAnswers.shift() ?? null),
      chooseFile: () => Promise.resolve(dialogAnswers.shift() ?? null),
      chooseSavePath: () => Promise.resolve(dialogAnswers.shift() ?? null),
      choosePython: () => Promise.resolve(dialogAnswers.shift() ?? null),
    },
  });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const headers = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' };
      if (path === '/__test__/bridge.js') {
        res.writeHead(200, { ...headers, 'Content-Type': mimeTypes['.js'] }).end(bridge);
        return;
      }
      const file = resolveInside(RENDERER_DIR, path);
      const body = file ? await readFile(file).catch(() => null) : null;
      if (!file || !body) {
        res.writeHead(404, headers).end('Not found');
        return;
      }
      const ext = extname(file);
      // The bridge must define window.hsam before the app's module script runs.
      const payload =
        ext === '.html' ? body.toString('utf8').replace('<head>', '<head>\n<script src="/__test__/bridge.js"></script>') : body;
      res.writeHead(200, { ...headers, 'Content-Type': mimeTypes[ext] ?? 'application/octet-stream' }).end(payload);
    })();
  });

  const wss = new WebSocketServer({ server, path: '/__test__/api' });
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (data: Buffer) => {
      void (async () => {
        const { id, channel, arg } = decode(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer) as {
          id: number;
          channel: string;
          arg: unknown;
        };
        const result = await workstation.dispatch(channel, arg);
        socket.send(encode({ id, result }));
      })();
    });
  });

  const stopServing = async (): Promise<void> => {
    for (const s of sockets) s.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    workstation,
    dialogAnswers,
    emit,
    close: async () => {
      await stopServing();
      await workstation.dispose();
    },
    crash: stopServing,
  };
}
