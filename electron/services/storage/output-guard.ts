/**
 * No output may replace an input: a label file written over the CT it labels, or a DICOM SEG
 * saved under the name of one of its own series' images, destroys the user's data. Paths are
 * compared after resolving links, so a link to an input is the input.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, isAbsolute } from 'node:path';
import { UserFacingError } from '../../../common/contract/result.js';

/** The real path a write to `path` would reach (its folder resolved when it does not exist yet). */
async function realTarget(path: string): Promise<string> {
  const real = await realpath(path).catch(() => null);
  if (real) return real;
  const folder = await realpath(dirname(path)).catch(() => dirname(path));
  return join(folder, basename(path));
}

const inside = (folder: string, path: string): boolean => {
  const r = relative(folder, path);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
};

const replacesInput = (out: string, input: string): UserFacingError =>
  new UserFacingError('invalid-argument', `Refused to write ${basename(out)}: it is the input ${basename(input)}, which would be replaced. Choose another output name.`);

/**
 * A batch's form: no output may be (or link to) one of the input files. Each input is resolved
 * once, so an archive of thousands of studies costs one lookup per file, not one per pair.
 */
export async function refuseOutputsThatAreInputs(outputs: readonly string[], inputs: readonly string[]): Promise<void> {
  const inputOf = new Map<string, string>();
  for (const input of inputs) {
    const real = await realpath(input).catch(() => null);
    if (real) inputOf.set(real, input);
  }
  for (const out of outputs) {
    const input = inputOf.get(await realTarget(out));
    if (input !== undefined) throw replacesInput(out, input);
  }
}

/**
 * Refuse `out` when it is (or links to) one of `inputs`, or an existing file inside an input
 * folder (a DICOM series' own file). A new file inside an input folder is allowed.
 */
export async function refuseOverwritingInputs(out: string, inputs: readonly string[]): Promise<void> {
  const target = await realTarget(out);
  const exists = await stat(target).then(
    () => true,
    () => false,
  );
  for (const input of inputs) {
    const real = await realpath(input).catch(() => null);
    if (!real) continue;
    if (real === target) throw replacesInput(out, input);
    const isFolder = await stat(real).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (isFolder && exists && inside(real, target)) {
      throw new UserFacingError(
        'invalid-argument',
        `Refused to write ${basename(out)}: it is a file of the input folder ${basename(input)} (one of its images would be replaced). Choose another name or folder.`,
      );
    }
  }
}
