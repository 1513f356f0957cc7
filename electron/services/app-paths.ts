/**
 * Where the app finds what it ships, in a development checkout and in an installed package
 * (electron-builder's layout: the archive and its unpacked twin in `resources/`, the demo model,
 * sample, label schemas, trainer and licence notices beside them as extra resources). Pure, so
 * the packaged-tree test checks the very paths main computes.
 */
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppPaths {
  readonly rendererDir: string;
  readonly samplePath: string;
  readonly defaultModelDir: string;
  readonly labelSchemasDir: string;
  readonly trainerScript: string;
  /** Third-party licence notices of everything bundled (generated at packaging time). */
  readonly licensesPath: string;
}

/**
 * `appRoot`: the folder holding dist/ (the checkout, or resources/app.asar when packaged);
 * `resourcesPath`: Electron's process.resourcesPath.
 */
export function appPaths(o: { readonly isPackaged: boolean; readonly appRoot: string; readonly resourcesPath: string }): AppPaths {
  const shipped = o.isPackaged ? o.resourcesPath : null;
  return {
    rendererDir: join(o.appRoot, 'dist', 'renderer'),
    samplePath: join(shipped ?? o.appRoot, 'resources', 'sample', 'example_ct_sm.nii.gz'),
    defaultModelDir: shipped ? join(shipped, 'models', 'demo') : join(o.appRoot, 'native-models', 'models', 'demo'),
    labelSchemasDir: join(shipped ?? o.appRoot, 'resources', 'label-schemas'),
    trainerScript: join(shipped ?? o.appRoot, 'native-models', 'hsam.py'),
    licensesPath: shipped ? join(shipped, 'third-party-licenses.txt') : join(o.appRoot, 'build', 'third-party-licenses.txt'),
  };
}

/**
 * The same paths for the command line, from where its bundle lies: dist/cli/hsam.js in a
 * checkout, or resources/app.asar.unpacked/dist/cli/hsam.js in an installed app.
 */
export function cliPaths(bundleUrl: string): AppPaths {
  const appRoot = join(dirname(fileURLToPath(bundleUrl)), '..', '..');
  const isPackaged = basename(appRoot) === 'app.asar.unpacked';
  return appPaths({ isPackaged, appRoot, resourcesPath: dirname(appRoot) });
}
