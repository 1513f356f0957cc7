import { describe, expect, it } from 'vitest';
import { pythonJson } from '../../../test-support/python.js';
import { resizeBilinear } from './resample.js';

describe('resizeBilinear equals PyTorch F.interpolate(bilinear, align_corners=False)', () => {
  const cases = [
    { c: 1, w: 122, h: 101, W: 224, H: 224 },
    { c: 3, w: 224, h: 224, W: 122, H: 101 },
    { c: 2, w: 7, h: 5, W: 3, H: 11 },
  ];
  const inputs = cases.map(({ c, w, h }, n) => Float32Array.from({ length: c * w * h }, (_, i) => Math.sin(i * 0.37 + n) * 100 + (i % 13)));
  const ref = pythonJson<number[][]>(
    String.raw`
import json, sys, torch
import torch.nn.functional as F
a = json.load(sys.stdin)
out = []
for case, data in zip(a["cases"], a["inputs"]):
    t = torch.tensor(data, dtype=torch.float32).reshape(1, case["c"], case["h"], case["w"])
    out.append(F.interpolate(t, size=(case["H"], case["W"]), mode="bilinear", align_corners=False).flatten().tolist())
print(json.dumps(out))`,
    { cases, inputs: inputs.map((a) => Array.from(a)) },
  );

  cases.forEach((k, n) => {
    it(`${k.c}×${k.w}×${k.h} → ${k.W}×${k.H}`, () => {
      const ours = resizeBilinear(inputs[n] as Float32Array, k.c, k.w, k.h, k.W, k.H);
      const theirs = ref[n] as number[];
      expect(ours.length).toBe(theirs.length);
      let worst = 0;
      ours.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (theirs[i] as number)))));
      expect(worst).toBeLessThan(1e-3);
    });
  });
});
