/**
 * Volume-rendering presets: how voxel values map to colour and opacity in the 3D view. CT
 * presets are in Hounsfield units; the MR preset is placed from the study's own value
 * percentiles (MR intensities have no fixed scale). Opacities are per millimetre of ray at the
 * unit distance the view sets, kept low so label surfaces inside stay visible.
 */
import type { VolumeMeta, VoxelArray } from '../../../common/contract/volume';
import { isHounsfield } from './window-level';

export type PresetId = 'ct-soft-tissue' | 'ct-bone' | 'mr-default';

export interface TransferFunction {
  /** Value → RGB (0..1), as [value, r, g, b] points. */
  readonly colors: readonly (readonly [number, number, number, number])[];
  /** Value → opacity (0..1), as [value, opacity] points. */
  readonly opacity: readonly (readonly [number, number])[];
}

export const PRESETS: readonly { readonly id: PresetId; readonly label: string }[] = [
  { id: 'ct-soft-tissue', label: 'CT soft tissue' },
  { id: 'ct-bone', label: 'CT bone' },
  { id: 'mr-default', label: 'MR default' },
];

/** The preset a freshly opened volume gets. */
export function defaultPreset(meta: Pick<VolumeMeta, 'modality' | 'min' | 'max'>): PresetId {
  return isHounsfield(meta) ? 'ct-soft-tissue' : 'mr-default';
}

/** Values at the given fractions (0..1) of the sorted voxels, from at most ~1M evenly spaced samples. */
export function percentiles(voxels: VoxelArray, fractions: readonly number[]): number[] {
  const stride = Math.max(1, Math.floor(voxels.length / 1_000_000));
  const sample = new Float64Array(Math.ceil(voxels.length / stride));
  for (let i = 0, n = 0; i < voxels.length; i += stride, n++) sample[n] = voxels[i]!;
  sample.sort();
  return fractions.map((f) => sample[Math.min(sample.length - 1, Math.max(0, Math.round(f * (sample.length - 1))))] ?? 0);
}

/**
 * The transfer function of a preset for this volume. `range` is the value range the MR preset
 * spreads over (robust low and high percentiles of the study).
 */
export function transferFunction(id: PresetId, range: readonly [number, number]): TransferFunction {
  switch (id) {
    case 'ct-soft-tissue':
      // Fat and air clear; organs a faint warm haze; contrast-filled vessels and bone brighter.
      return {
        colors: [
          [-1000, 0, 0, 0],
          [-100, 0.45, 0.22, 0.14],
          [40, 0.8, 0.48, 0.36],
          [150, 0.95, 0.78, 0.62],
          [400, 1, 0.95, 0.86],
          [3000, 1, 1, 1],
        ],
        opacity: [
          [-1000, 0],
          [-60, 0],
          [20, 0.015],
          [80, 0.04],
          [250, 0.12],
          [600, 0.45],
          [3000, 0.6],
        ],
      };
    case 'ct-bone':
      return {
        colors: [
          [-1000, 0, 0, 0],
          [150, 0.55, 0.35, 0.2],
          [300, 0.9, 0.82, 0.66],
          [1000, 1, 0.98, 0.92],
          [3000, 1, 1, 1],
        ],
        opacity: [
          [-1000, 0],
          [150, 0],
          [300, 0.25],
          [700, 0.7],
          [3000, 0.9],
        ],
      };
    case 'mr-default': {
      const [lo, hi] = range;
      const span = Math.max(1e-6, hi - lo);
      const at = (f: number): number => lo + f * span;
      return {
        colors: [
          [at(0), 0, 0, 0],
          [at(0.25), 0.45, 0.38, 0.32],
          [at(0.6), 0.85, 0.8, 0.72],
          [at(1), 1, 1, 1],
        ],
        opacity: [
          [at(0), 0],
          [at(0.2), 0],
          [at(0.5), 0.05],
          [at(1), 0.3],
        ],
      };
    }
  }
}

/** WebGL renderer names of software rasterisers (Chromium's SwiftShader, Mesa's llvmpipe, Windows' WARP). */
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/**
 * A volume-rendered frame slower than this starts the 3D view without volume rendering: each
 * label update redraws the 3D view, and the browser shows no other view's frame meanwhile.
 */
export const VOLUME_FRAME_BUDGET_MS = 200;

/**
 * Whether the 3D view starts with volume rendering on (the user's own choice wins over this).
 * Not with software graphics: SwiftShader on two cores takes 1.1 s a frame for the 122×101×30
 * sample and 3.2 s for 122×101×112 at 1100×800. Not where a frame measured (`frameMs`, on this
 * volume) over budget: a weak GPU. Otherwise on.
 */
export function volumeRenderingByDefault(rendererName: string | null, frameMs: number | null): boolean {
  if (softwareGraphics(rendererName)) return false;
  return frameMs === null || frameMs <= VOLUME_FRAME_BUDGET_MS;
}

/** Whether the WebGL renderer's name is a software rasteriser's. */
export function softwareGraphics(rendererName: string | null): boolean {
  return rendererName !== null && SOFTWARE_GL.test(rendererName);
}
