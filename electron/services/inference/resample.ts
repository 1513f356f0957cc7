/**
 * Bilinear resampling of channel-stacked 2-D images with PyTorch's `align_corners=False`
 * convention (pixel centres at +0.5), the interpolation the H-SAM code uses between the slice
 * grid and the model's input size. Separable: rows first into a scratch buffer, then columns.
 */

interface Taps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w1: Float32Array;
}

function taps(inSize: number, outSize: number): Taps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    w1[o] = src - lo;
  }
  return { i0, i1, w1 };
}

/**
 * Resize `channels` planes of inW × inH (row-major, plane after plane) to outW × outH.
 * Returns a new Float32Array of channels × outH × outW.
 */
export function resizeBilinear(src: Float32Array, channels: number, inW: number, inH: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(channels * outW * outH);
  if (inW === outW && inH === outH) {
    out.set(src.subarray(0, channels * inW * inH));
    return out;
  }
  const tx = taps(inW, outW);
  const ty = taps(inH, outH);
  const rows = new Float32Array(inH * outW);
  for (let ch = 0; ch < channels; ch++) {
    const plane = ch * inW * inH;
    for (let y = 0; y < inH; y++) {
      const base = plane + y * inW;
      for (let x = 0; x < outW; x++) {
        const a = src[base + tx.i0[x]!]!;
        const b = src[base + tx.i1[x]!]!;
        rows[y * outW + x] = a + (b - a) * tx.w1[x]!;
      }
    }
    const outPlane = ch * outW * outH;
    for (let y = 0; y < outH; y++) {
      const r0 = ty.i0[y]! * outW;
      const r1 = ty.i1[y]! * outW;
      const w = ty.w1[y]!;
      for (let x = 0; x < outW; x++) {
        const a = rows[r0 + x]!;
        out[outPlane + y * outW + x] = a + (rows[r1 + x]! - a) * w;
      }
    }
  }
  return out;
}
