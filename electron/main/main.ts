/**
 * Electron main: a thin, generic wiring of the workstation services onto a secure window.
 * All behaviour lives in services (tested under Node); this file only connects Electron's
 * APIs (windows, dialogs, menus, protocols) to them.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, shell } from 'electron';
import { ipcEventChannel, type EventName, type EventPayload } from '../../common/contract/api.js';
import { useBaselineWasmCompiler } from '../services/imaging/dicom/wasm.js';
import { createWorkstation } from '../services/workstation.js';
import { registerApi, registerDrop } from './ipc.js';
import { appPaths } from '../services/app-paths.js';
import {
  APP_ORIGIN,
  APP_SCHEME,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
  pathFromArgv,
  resolveInside,
  secureWebPreferences,
} from './security.js';

// dist/electron/main.cjs → the app root holds dist/ (the checkout, or app.asar when packaged).
const paths = appPaths({ isPackaged: app.isPackaged, appRoot: join(__dirname, '..', '..'), resourcesPath: process.resourcesPath });
const rendererDir = paths.rendererDir;

useBaselineWasmCompiler();

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;

function emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
  mainWindow?.webContents.send(ipcEventChannel(event), payload);
}

const workstation = createWorkstation({
  version: app.getVersion(),
  emit,
  initialPath: pathFromArgv(process.argv, app.isPackaged),
  samplePath: paths.samplePath,
  defaultModelDir: paths.defaultModelDir,
  sessionsDir: join(app.getPath('userData'), 'sessions'),
  dataDir: app.getPath('userData'),
  labelSchemasDir: paths.labelSchemasDir,
  trainerScript: paths.trainerScript,
  licensesPath: paths.licensesPath,
  log: (line) => console.error(line),
  dialogs: {
    async chooseVolumeFile() {
      const options: Electron.OpenDialogOptions = {
        title: 'Open volume',
        properties: ['openFile'],
        filters: [
          { name: 'Volumes', extensions: ['nii', 'gz', 'nrrd', 'nhdr', 'dcm'] },
          { name: 'All files (DICOM)', extensions: ['*'] },
        ],
      };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async chooseFolder(o) {
      const options: Electron.OpenDialogOptions = { title: o?.title ?? 'Open folder', properties: ['openDirectory'] };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async chooseSavePath({ title, defaultName, filter, extensions }) {
      const options: Electron.SaveDialogOptions = {
        title,
        defaultPath: join(app.getPath('documents'), defaultName),
        filters: [{ name: filter, extensions: [...extensions] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const r = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
      return r.canceled ? null : (r.filePath ?? null);
    },
    async chooseFile({ title, filter, extensions }) {
      const options: Electron.OpenDialogOptions = { title, properties: ['openFile'], filters: [{ name: filter, extensions: [...extensions] }] };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async choosePython() {
      const options: Electron.OpenDialogOptions = { title: 'Choose the Python interpreter for fine-tuning', properties: ['openFile', 'showHiddenFiles'] };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  },
});

async function openFromMenu(what: 'file.chooseVolume' | 'file.chooseFolder'): Promise<void> {
  const r = await workstation.dispatch(what, {});
  if (r.ok) emit('openFile', { file: r.value as EventPayload<'openFile'>['file'] });
}

function hardenContents(): void {
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      // Links to documentation open in the user's browser, never inside the app.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.setDevicePermissionHandler(() => false);
  // No remote content: anything not served by our own scheme is cancelled.
  s.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAppUrl(details.url) || details.url.startsWith('devtools://') || details.url.startsWith('data:') || details.url.startsWith('blob:');
    callback({ cancel: !allowed });
  });
}

function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === 'workstation' ? resolveInside(rendererDir, url.pathname) : null;
    if (!file) return new Response('Not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}

function buildMenu(): void {
  const template: Electron.MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open File…', accelerator: 'CmdOrCtrl+O', click: () => void openFromMenu('file.chooseVolume') },
        { label: 'Open Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void openFromMenu('file.chooseFolder') },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1280,
    height: 860,
    show: false,
    title: 'H-SAM Workstation',
    backgroundColor: '#111418',
    webPreferences: secureWebPreferences(join(__dirname, 'preload.cjs')),
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_e, argv) => {
    const path = pathFromArgv(argv, app.isPackaged);
    if (path) emit('openFile', { file: workstation.files.grant(path, 'command-line') });
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('window-all-closed', () => app.quit());
  // Save every open label volume (atomic snapshots) before the process ends.
  let disposed = false;
  app.on('before-quit', (e) => {
    if (disposed) return;
    e.preventDefault();
    disposed = true;
    void workstation.dispose().finally(() => app.quit());
  });
  void app.whenReady().then(() => {
    hardenContents();
    serveRenderer();
    registerApi(ipcMain, workstation.dispatch, isAppUrl);
    registerDrop(ipcMain, isAppUrl, (path) => emit('openFile', { file: workstation.files.grant(path, 'drop') }));
    buildMenu();
    createWindow();
  });
}
