/**
 * `hsam`: the headless command line over the same services and handler table as the app.
 * Prints JSON on stdout; errors go to stderr with exit code 1 (2 for usage errors), never a
 * stack trace for bad input.
 */
import { Command, CommanderError } from 'commander';
import type { VolumeMeta } from '../contract/volume.js';
import type { Result } from '../contract/result.js';
import { readAppVersion } from '../services/app-version.js';
import { createWorkstation } from '../services/workstation.js';

/** The `info` JSON: geometry in LPS millimetres, as `VolumeMeta` minus session ids. */
export function infoJson(meta: VolumeMeta): Record<string, unknown> {
  const { volumeId: _omit, ...rest } = meta;
  return rest;
}

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new CliError(r.error.message);
  return r.value;
}

class CliError extends Error {}

export async function runCli(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const version = readAppVersion();
  const program = new Command('hsam')
    .description('H-SAM Workstation command line')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });

  program
    .command('info')
    .description('Print dims, spacing, origin, direction (LPS, mm), modality and value range of a volume as JSON')
    .argument('<file>', 'a NIfTI file (.nii, .nii.gz)')
    .action(async (file: string) => {
      const ws = createWorkstation({
        version,
        dialogs: { chooseVolumeFile: () => Promise.resolve(null) },
        emit: () => {},
      });
      const chosen = ws.files.grant(file, 'command-line');
      const meta = unwrap(await ws.dispatch('volume.open', { fileId: chosen.fileId })) as VolumeMeta;
      out(`${JSON.stringify(infoJson(meta), null, 2)}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    err(`hsam: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
