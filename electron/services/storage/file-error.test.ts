import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../../common/contract/result.js';
import { readVolume } from '../imaging/read-volume.js';
import { fileError } from './file-error.js';

const refusal = async (path: string): Promise<UserFacingError> => {
  const e: unknown = await readVolume(path).catch((x: unknown) => x);
  if (!(e instanceof UserFacingError)) throw new Error(`expected a UserFacingError, got ${String(e)}`);
  return e;
};

describe('file-system errors keep their kind', () => {
  it('a missing file is not-found, with the file named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hsam-ferr-'));
    for (const name of ['gone.nii.gz', 'gone.nrrd', 'gone.dcm']) {
      const e = await refusal(join(dir, name));
      expect([e.code, e.message]).toEqual(['not-found', `Cannot read ${name}: file not found.`]);
    }
  });

  it('a named pipe is refused before anything reads it (a read would never return)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hsam-ferr-'));
    for (const name of ['pipe.nii.gz', 'pipe.nrrd', 'pipe']) {
      execFileSync('mkfifo', [join(dir, name)]);
      const e = await refusal(join(dir, name));
      expect([e.code, e.message]).toEqual(['unreadable', `Cannot read ${name}: it is a named pipe (FIFO), not a file or folder.`]);
    }
  });

  it('a refused file is not-permitted, never "file not found"', () => {
    // Tests run as root here, which no permission bit stops: the errno the system gives a user.
    const e = fileError('ct.nii.gz', Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' }));
    expect([e.code, e.message]).toEqual(['not-permitted', 'Cannot read ct.nii.gz: permission denied.']);
  });
});
