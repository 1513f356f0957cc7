import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test-support/paths.js';
import { CONTENT_SECURITY_POLICY, isAppUrl, pathFromArgv, resolveInside, secureWebPreferences } from './security.js';

describe('window security', () => {
  it('isolates and sandboxes the renderer, with no Node', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  const directives = (csp: string): Map<string, string> =>
    new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k ?? '', v.join(' ')]));

  it('the CSP allows no remote content, no eval, no inline script', () => {
    const d = directives(CONTENT_SECURITY_POLICY);
    expect(d.get('default-src')).toBe("'none'");
    expect(d.get('script-src')).toBe("'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|unsafe-inline|https?:|\*/);
  });

  it('index.html carries the same policy (minus header-only directives)', () => {
    const html = readFileSync(join(REPO_ROOT, 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    if (!meta) throw new Error('no CSP meta tag');
    const header = directives(CONTENT_SECURITY_POLICY);
    header.delete('frame-ancestors'); // ignored in a meta tag
    expect(directives(meta)).toEqual(header);
  });

  it('only the workstation origin is trusted', () => {
    expect(isAppUrl('app://workstation/index.html')).toBe(true);
    expect(isAppUrl('app://workstation')).toBe(true);
    expect(isAppUrl('app://workstation.evil/index.html')).toBe(false);
    expect(isAppUrl('https://workstation/')).toBe(false);
  });

  it('serves only files inside the renderer folder', () => {
    const root = '/opt/app/dist/renderer';
    expect(resolveInside(root, '/index.html')).toBe('/opt/app/dist/renderer/index.html');
    expect(resolveInside(root, '/')).toBe('/opt/app/dist/renderer/index.html');
    expect(resolveInside(root, '/assets/app.js')).toBe('/opt/app/dist/renderer/assets/app.js');
    for (const bad of ['/../secret', '/%2e%2e/secret', '/assets/../../x', '/..%2Fx', '/%00', '/%E0%A4%A']) {
      expect(resolveInside(root, bad), bad).toBeNull();
    }
  });

  it('takes the file to open from the command line, skipping flags', () => {
    expect(pathFromArgv(['/usr/bin/electron', '.', '--inspect', 'scan.nii.gz'], false)).toBe('scan.nii.gz');
    expect(pathFromArgv(['/opt/hsam/hsam', 'scan.nii.gz'], true)).toBe('scan.nii.gz');
    expect(pathFromArgv(['/opt/hsam/hsam', '--no-sandbox'], true)).toBeUndefined();
  });
});
