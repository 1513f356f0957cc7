"""Export forms: the same functions as the training modules, written the way
onnxruntime's CPU provider runs fastest. export.py applies them to a copy of
the model just before tracing; training and PyTorch inference keep the
reference forms (the official code's), so the PyTorch baseline is the
official computation.

- Attention: the decomposed rel-pos terms folded into the q.k product
  (image_encoder.rel_pos_attention_logits) instead of two broadcast additions
  over every attention matrix (ViT-B@512: ~75 ms a slice in onnxruntime).

Tried and left out, measured on ViT-B@512's decoder in onnxruntime 1.30 on
CPU: the 2x2 transposed convolutions as Conv1x1 + DepthToSpace (21 vs 15 ms:
DepthToSpace is slow) and the channel LayerNorm as transpose + fused
LayerNormalization + transpose (24 vs 16 ms). The whole pixel path of both
decoders channels-last in block order (each 2x2 transposed conv a MatMul that
appends its sub-pixel axes, one reordering at the end): the demo's decoder,
batch 4 on one thread, 28 vs 19 ms, lost in the final 12-D Transpose (~7 ms)
and a LayerNormalization over rows of 8 channels (~5 ms).
"""

from __future__ import annotations

import copy

from torch import nn

from .modeling.image_encoder import Attention


def for_export(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in its export forms (``model`` is left as it is)."""
    m = copy.deepcopy(model).eval()
    for module in m.modules():
        if isinstance(module, Attention):
            module.fused_rel_pos = True
    return m
