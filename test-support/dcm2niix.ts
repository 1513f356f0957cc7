/** Debian's dcm2niix run on a DICOM folder: the NIfTI (.nii.gz) it writes, as a user's pipeline would have it. */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function dcm2niix(series: string, outDir: string): string {
  execFileSync('dcm2niix', ['-z', 'y', '-b', 'n', '-f', 'series', '-o', outDir, series], { encoding: 'utf8' });
  const written = readdirSync(outDir).filter((f) => /^series.*\.nii\.gz$/.test(f));
  if (written.length !== 1) throw new Error(`dcm2niix wrote ${written.join(', ') || 'nothing'} for ${series}`);
  return join(outDir, written[0]!);
}
