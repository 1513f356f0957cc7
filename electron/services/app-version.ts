/** The app's version from package.json; src and dist both sit two folders below the root. */
import { readFileSync } from 'node:fs';

export function readAppVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
