/**
 * Labels that `hsam segment <worklist folder> --out <worklist folder>` wrote beside the cases,
 * found by the CLI's own naming rule (or its per-study records when names collided) and read
 * onto a case's volume as the model's proposal, so the app does not run the model again.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ModelId } from '../../../common/contract/segmentation.js';
import type { Volume } from '../imaging/volume.js';
import { readVolume } from '../imaging/read-volume.js';
import { reorientLabels } from '../interop/reorient-labels.js';
import { gunzipPrefix } from '../storage/safe-read.js';
import { segmentOutputFor } from './worklist.js';

const RECORDS = '.hsam';

/** The outputs the batch's records name, by input (a volume file, or `<folder>#<series id>`). */
function recordedOutputs(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(join(dir, RECORDS)).filter((n) => n.endsWith('.json'));
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const r = JSON.parse(readFileSync(join(dir, RECORDS, n), 'utf8')) as { input?: unknown; output?: unknown; status?: unknown };
      if (typeof r.input === 'string' && typeof r.output === 'string' && r.status === 'done') out.set(r.input, r.output);
    } catch {
      // A record being written by a running shard: its study is not finished either.
    }
  }
  return out;
}

/** hsam segment's labels in a worklist folder, its batch records read once (a worklist lists every case at a time). */
export interface PrecomputedLabels {
  /** Where the labels for a volume file of the folder are, or null. */
  forVolume(path: string): string | null;
  /** Where the labels for a DICOM series (by the file name hsam segment gives them: seriesOutputName) are, or null. */
  forSeries(outputName: string): string | null;
}

export function precomputedLabels(dir: string): PrecomputedLabels {
  const recorded = recordedOutputs(dir);
  return {
    forVolume(path) {
      const output = recorded.get(path);
      if (output && existsSync(output)) return output;
      const named = segmentOutputFor(dir, path, dir);
      return existsSync(named) ? named : null;
    },
    forSeries(outputName) {
      // A record's output may carry a tag hsam segment added when two names folded together.
      const stem = outputName.replace(/\.labels\.nii\.gz$/, '');
      for (const [input, output] of recorded) {
        if (input.includes('#') && basename(output).startsWith(stem) && existsSync(output)) return output;
      }
      const named = join(dir, outputName);
      return existsSync(named) ? named : null;
    },
  };
}

/** The model hsam segment named in the file's description ("name version"), else the tool. */
async function modelOf(path: string): Promise<ModelId> {
  const header = path.endsWith('.gz') ? await gunzipPrefix(path, 348).catch(() => null) : null;
  const text = header && header.length >= 228 ? header.subarray(148, 228).toString('latin1').replace(/\0.*$/s, '').trim() : '';
  const m = /^(.+) (\S+)$/.exec(text);
  return m ? { name: m[1]!, version: m[2]! } : { name: 'hsam segment', version: basename(path) };
}

/** The labels in the volume's voxel order (they were written in its geometry, possibly reordered). */
export async function readPrecomputed(path: string, volume: Volume): Promise<{ labels: Uint8Array; model: ModelId }> {
  const lab = await readVolume(path);
  if (lab.voxels.length !== volume.voxels.length) {
    throw new Error(`${basename(path)} has ${lab.dims.join('×')} voxels, the study ${volume.dims.join('×')}: it was written for another volume.`);
  }
  const { voxels } = reorientLabels(volume, lab, lab.voxels);
  return { labels: voxels, model: await modelOf(path) };
}
