/**
 * The security settings of every window and of the renderer's origin, in one place so a test
 * can read them. No Electron import: main passes these objects to Electron's APIs.
 */
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';

/** Our renderer's origin; served by a privileged custom scheme, never from the network. */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://workstation`;

export const isAppUrl = (url: string): boolean => url === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`);

export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  } as const;
}

/**
 * Sent as a header with every renderer file, on top of the meta tag in index.html: no remote
 * content, no eval, no plugins, no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * Map a request path of the app scheme to a file inside the renderer folder; null for anything
 * that would escape it (`..`, absolute or encoded tricks).
 */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = normalize(decoded.replace(/^\/+/, '') || 'index.html');
  const target = resolve(root, rel);
  const fromRoot = relative(resolve(root), target);
  if (fromRoot === '' || fromRoot.startsWith(`..${sep}`) || fromRoot === '..' || isAbsolute(fromRoot)) return null;
  return target;
}

/** Positional command-line arguments that name a file to open (flags are Chromium's or ours). */
export function pathFromArgv(argv: readonly string[], isPackaged: boolean): string | undefined {
  const rest = argv.slice(isPackaged ? 1 : 2);
  return rest.find((a) => !a.startsWith('-'));
}
