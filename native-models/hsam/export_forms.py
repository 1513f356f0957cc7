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
  Then the padded grid went: the real tokens are gathered window by window
  before the qkv product (and back after the output projection), so each
  group's queries, keys and values are one contiguous run; each window of a
  group has its pad keys at the same positions, so they (the k bias with
  their one-hot rows and columns) and the pad values (the v bias) are
  constants: one Pad gives the keys their one-hot columns and pad rows as
  zeros, one constant added fills them in (concats would need the constants
  expanded to the batch at run time: shape arithmetic that cost the tiny
  demo's int8 encoder ~0.4 ms of 5 a slice). That replaces two padding
  concats, an 8-D transpose of the padded keys and values and the slicing of
  every group out of it. A windowed block of ViT-B@512's int8 encoder:
  10.5 -> 7.9 ms besides its products (profile); the encoder, fastest of 20
  alternating runs: int8 363 -> 338 ms, fp32 815 -> 795 ms a slice (a slow
  hour of this machine; of 12 in a quieter one, before one Slice per operand
  replaced a Split and the Pad replaced the concats: int8 340 -> 307, fp32
  724 -> 698). The edge windows now sum their keys in another order: fp32
  embeddings within 3.1e-6 of the padded form's (max 4.9).
- Channel norms (LayerNorm2d: the encoder's neck, both decoders' pixel
  paths): each follows a convolution, whose weights lose their mean over the
  output channels, so its output arrives centred and the norm takes no mean;
  the variance is a product with a row of 1/C and the division one multiply
  by its reciprocal square root. ViT-B@512's decoder, 2 threads, fastest of
  40 alternating runs: 53.0 -> 43.3 ms a slice (most of it in the last
  stage's 16 channels at 512x512); logits within 3e-7 of the reference form.

Tried and left out, measured on ViT-B@512's decoder in onnxruntime 1.30 on
CPU: its last stage (2x2 transposed conv 32 -> 16 to 512x512, norm, GELU,
hypernetwork product; 17.5 ms as the modules are, 12.8 with the centred
norm) channels-last, the transposed conv one broadcast MatMul that writes
the interleaved rows directly (1.3 ms instead of ConvTranspose's 6.2), lost
in the norm's broadcasts along a last axis of 16 and onnxruntime's fused
BiasGelu (6 ms against Gelu's 1.1): 15.3 ms; with its LayerNormalization
(14.7 ms over rows of 16): 16.7 ms. The norm's scale folded into the
convolution's weights saved 0.5 ms more and breaks on a zero scale.
Earlier: the 2x2 transposed convolutions as Conv1x1 + DepthToSpace (21 vs
15 ms: DepthToSpace is slow) and the channel LayerNorm as transpose + fused
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

import torch
from torch import nn

from .modeling.common import LayerNorm2d
from .modeling.image_encoder import Attention, Block


def for_export(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in its export forms (``model`` is left as it is)."""
    m = copy.deepcopy(model).eval()
    for module in m.modules():
        if isinstance(module, Attention):
            module.fused_rel_pos = True
        elif isinstance(module, Block):
            module.project_real_tokens = True
        elif isinstance(module, nn.Sequential):
            _center_convolutions_before_norms(module)
    return m


@torch.no_grad()
def _center_convolutions_before_norms(seq: nn.Sequential) -> None:
    """Each convolution that feeds a LayerNorm2d gets weights (and bias) minus their mean over the
    output channels: a convolution is linear, so its output then has zero channel mean at every
    pixel, exactly what the norm's first step computed and subtracted."""
    layers = list(seq)
    for conv, norm in zip(layers, layers[1:]):
        if not isinstance(norm, LayerNorm2d) or norm.centered_input:
            continue
        if not isinstance(conv, (nn.Conv2d, nn.ConvTranspose2d)) or conv.groups != 1:
            continue
        # Output channels: axis 0 of a Conv2d's weight [out, in, kh, kw], 1 of a transposed one's.
        out_axis = 1 if isinstance(conv, nn.ConvTranspose2d) else 0
        w = conv.weight.double()
        conv.weight.copy_(w - w.mean(out_axis, keepdim=True))
        if conv.bias is not None:
            conv.bias.copy_(conv.bias.double() - conv.bias.double().mean())
        norm.centered_input = True
