import { describe, expect, it } from 'vitest';
import { defaultPreset, percentiles, PRESETS, transferFunction, VOLUME_FRAME_BUDGET_MS, volumeRenderingByDefault } from './transfer-functions';

describe('volume-rendering presets', () => {
  it('CT (by modality or by Hounsfield-looking values) starts in soft tissue, anything else in the MR preset', () => {
    expect(defaultPreset({ modality: 'CT', min: 0, max: 100 })).toBe('ct-soft-tissue');
    expect(defaultPreset({ min: -1024, max: 3000 })).toBe('ct-soft-tissue');
    expect(defaultPreset({ modality: 'MR', min: 0, max: 1200 })).toBe('mr-default');
  });

  it('every preset is ordered, in range, and clear at its low end', () => {
    for (const { id } of PRESETS) {
      const tf = transferFunction(id, [0, 1000]);
      for (const pts of [tf.colors.map((c) => c[0]), tf.opacity.map((o) => o[0])]) {
        expect([...pts].sort((a, b) => a - b)).toEqual(pts);
      }
      const inUnit = (v: number): boolean => v >= 0 && v <= 1;
      expect(tf.colors.flatMap((c) => c.slice(1)).every(inUnit)).toBe(true);
      expect(tf.opacity.map(([, a]) => a).every(inUnit)).toBe(true);
      expect(tf.opacity[0]?.[1]).toBe(0);
    }
  });

  it('the MR preset spreads over the given range; CT presets stay in Hounsfield units', () => {
    const mr = transferFunction('mr-default', [100, 600]);
    expect(mr.opacity[0]?.[0]).toBe(100);
    expect(mr.opacity.at(-1)?.[0]).toBe(600);
    expect(transferFunction('ct-bone', [100, 600]).opacity.find(([, a]) => a > 0)?.[0]).toBeGreaterThanOrEqual(150);
  });

  it('percentiles come from the sorted values', () => {
    const v = Int16Array.from({ length: 1001 }, (_, i) => 1000 - i);
    expect(percentiles(v, [0, 0.5, 1])).toEqual([0, 500, 1000]);
  });
});

describe('volumeRenderingByDefault', () => {
  const gpu = 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)';
  it('is off with software graphics, whatever the volume', () => {
    const swiftshader = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
    expect(volumeRenderingByDefault(swiftshader, null)).toBe(false);
    expect(volumeRenderingByDefault('llvmpipe (LLVM 15.0.6, 256 bits)', 5)).toBe(false);
    expect(volumeRenderingByDefault('Microsoft Basic Render Driver', null)).toBe(false);
  });
  it('is on with a GPU until a frame measures over budget', () => {
    expect(volumeRenderingByDefault(gpu, null)).toBe(true);
    expect(volumeRenderingByDefault(gpu, VOLUME_FRAME_BUDGET_MS)).toBe(true);
    expect(volumeRenderingByDefault(gpu, VOLUME_FRAME_BUDGET_MS + 1)).toBe(false);
    expect(volumeRenderingByDefault(null, 12)).toBe(true);
  });
});
