"""Export forms: the same functions as the training modules, written the way
onnxruntime's CPU provider runs fastest. export.py applies them to a copy of
the model just before tracing; training and PyTorch inference keep the
reference forms (the official code's), so the PyTorch baseline is the
official computation.

- Attention: the decomposed rel-pos terms folded into the q.k product
  (image_encoder.Attention.attend_folded) instead of two broadcast additions
  over every attention matrix (ViT-B@512: ~75 ms a slice in onnxruntime).
- Windowed blocks: everything on the real tokens only
  (Block._windowed_real_tokens). A grid that is not a multiple of the window
  is zero-padded after norm1, so a pad token's qkv is the bias alone; the pad
  keys and values get that bias appended after the product, and the output
  projection needs no crop. ViT-B@512 pads 32x32 tokens to 42x42: 42 % of the
  projections' work in each of its 8 windowed blocks (~3.5 GFLOP a block).
  Its encoder, 2 threads, fastest of 10 alternating runs: fp32 943 -> 861 ms,
  int8 393 -> 372 ms a slice.
  Then the pad queries went too (their outputs were cropped away): the
  windows are attended in up to four groups by their real rows and columns
  (whole, right edge, bottom edge, corner), each over its windows' keys. A
  windowed block of ViT-B@512's fp32 encoder: 57.3 -> 51.2 ms (profile);
  the whole encoder, fastest of 14 alternating runs: fp32 758 -> 733 ms,
  int8 347 -> 328 ms a slice (with quantize.py's one-pass k quantization).
  The outputs are the same to the bit in fp32 (each query's products and
  softmax are computed as before, only fewer of them).

Tried and left out, measured on ViT-B@512's decoder in onnxruntime 1.30 on
CPU: the 2x2 transposed convolutions as Conv1x1 + DepthToSpace (21 vs 15 ms:
DepthToSpace is slow) and the channel LayerNorm as transpose + fused
LayerNormalization + transpose (24 vs 16 ms). The whole pixel path of both
decoders channels-last in block order (each 2x2 transposed conv a MatMul that
appends its sub-pixel axes, one reordering at the end): the demo's decoder,
batch 4 on one thread, 28 vs 19 ms, lost in the final 12-D Transpose (~7 ms)
and a LayerNormalization over rows of 8 channels (~5 ms). The channel
LayerNorm's means as 1x1 convolutions and its division as rsqrt times: the
demo's decoder 24.5 vs 21.0 ms, ViT-B's 49 vs 51 (not taken).

Also tried on ViT-B@512's encoder blocks, int8, 2 threads:
- onnxruntime's fused com.microsoft.MultiHeadAttention (CPU) for the
  attention core, on the folded q' and k' (q.k head size 128, v 64): 17.9 vs
  17.7 ms for a global block's core. It runs the same GEMMs, softmax and
  transposes.
- A windowed block with no bias on k (a constant per query row, which the
  softmax removes) and v (sum p = 1: it moves into the output projection's
  bias), so the padding is zeros (one Pad), and one 8-D Transpose from qkv
  to the windows' heads: 28.4 vs 29.3 ms a block. The 8-D Transpose alone
  took 1.8 ms; ~7 ms a slice in all, not taken.
"""

from __future__ import annotations

import copy

from torch import nn

from .modeling.image_encoder import Attention, Block


def for_export(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in its export forms (``model`` is left as it is)."""
    m = copy.deepcopy(model).eval()
    for module in m.modules():
        if isinstance(module, Attention):
            module.fused_rel_pos = True
        elif isinstance(module, Block):
            module.project_real_tokens = True
    return m
