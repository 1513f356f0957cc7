/**
 * NRRD fixtures for tests, written by an independent Python writer from nibabel's reading of a
 * shared NIfTI: the same voxels and geometry in a chosen space (RAS or LPS), encoding (raw or
 * gzip) and layout (attached .nrrd or detached .nhdr + .raw), so the reader is checked against
 * nibabel rather than against itself. No NRRD file ships in ../shared/data.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON } from './python.js';

const script = String.raw`
import gzip, json, sys
import numpy as np
import nibabel as nib
a = json.loads(sys.argv[1])
img = nib.load(a['source'])
data = np.asanyarray(img.dataobj).astype(np.int16)
aff = img.affine.copy()
if a['space'] == 'left-posterior-superior':
    aff = np.diag([-1.0, -1.0, 1.0, 1.0]) @ aff
dirs = ' '.join('(' + ','.join(repr(float(x)) for x in aff[:3, c]) + ')' for c in range(3))
origin = '(' + ','.join(repr(float(x)) for x in aff[:3, 3]) + ')'
raw = np.asfortranarray(data).astype('<i2').tobytes(order='F')
body = gzip.compress(raw) if a['encoding'] == 'gzip' else raw
header = ['NRRD0004', '# written by the H-SAM test fixture', 'type: short', 'dimension: 3',
          'space: ' + a['space'], 'sizes: ' + ' '.join(str(s) for s in data.shape),
          'space directions: ' + dirs, 'kinds: domain domain domain', 'endian: little',
          'encoding: ' + a['encoding'], 'space origin: ' + origin]
if a['detached']:
    open(a['path'][:-5] + '.raw', 'wb').write(body)
    header.append('data file: ' + a['path'].split('/')[-1][:-5] + '.raw')
    open(a['path'], 'wb').write(('\n'.join(header) + '\n').encode())
else:
    open(a['path'], 'wb').write(('\n'.join(header) + '\n\n').encode() + body)
print(json.dumps(True))
`;

export interface NrrdFixture {
  readonly source: string;
  readonly path: string;
  readonly space: 'right-anterior-superior' | 'left-posterior-superior';
  readonly encoding: 'raw' | 'gzip';
  readonly detached: boolean;
}

export function writeNrrd(f: NrrdFixture): void {
  // Run from a file: this script's text trips \`python3 -c\` argument passing.
  const file = join(mkdtempSync(join(tmpdir(), 'hsam-nrrd-writer-')), 'write_nrrd.py');
  writeFileSync(file, script);
  execFileSync(PYTHON, [file, JSON.stringify(f)], { encoding: 'utf8' });
}
