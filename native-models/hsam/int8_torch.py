"""The int8 encoder's arithmetic in PyTorch, to measure an int8 variant where onnxruntime is not
available (the trainer runs on the user's Python; onnxruntime's Python package is not a
dependency).

quantize.py turns every MatMul/Gemm with a constant weight in encoder.onnx into
DynamicQuantizeLinear + MatMulInteger + scale; in our encoder these products are exactly the
image encoder's nn.Linear layers (qkv, proj, lin1, lin2 of every block; checked by the caller
against quantize_model's count). ``int8_encoder(model)`` makes those layers compute what the graph
computes, and the attention logits of the blocks quantize.int8_attention_blocks lists (q' and k'
as the graph quantizes them, see quantize.py):

  x (float32, any shape [..., K]) -> xs = (max(0, max x) - min(0, min x)) / 255 over the whole
  tensor, xz = clip(round(-min(0, min x) / xs), 0, 255), xq = clip(round(x / xs) + xz, 0, 255)
  y = float32(sum_k (xq - xz) * Wq[k, n]) * (xs * ws[n]) (+ bias)

with Wq, ws from quantize.quantize_weight (the very same numbers the graph holds). The integer
sum is exact in float64. onnxruntime's fused kernel may round differently in the last bit, so
labels can differ on a few boundary pixels: held-out Dice per organ from this module and from
onnxruntime-node agreed within 0.0002 on the demo and 0.0013 on a fine-tuned demo
(tests/test_int8_torch.py, finetune-int8.test.ts).
"""

from __future__ import annotations

import contextlib
from typing import Dict, Iterator, List, Optional, Sequence

import torch
from torch import nn

from .modeling.model import HSam
from .quantize import ATTENTION_MIN_KEYS, WEIGHT_MAX, quantize_weight
from .train import pooled_dice, predict_labels


def _dynamic_quantize(x: torch.Tensor):
    """DynamicQuantizeLinear (ONNX): uint8 values as float64, scale and zero point."""
    lo = torch.clamp(x.min(), max=0.0)
    hi = torch.clamp(x.max(), min=0.0)
    xs = (hi - lo) / 255.0
    if float(xs) == 0.0:  # all zeros: any scale gives xq = xz
        xs = torch.ones((), dtype=torch.float32)
    xz = torch.clamp(torch.round(-lo / xs), 0, 255)
    xq = torch.clamp(torch.round(x / xs) + xz, 0, 255)
    return xq.double(), xs, xz.double()


def int8_linear_forward(lin: nn.Linear):
    """forward(x) of ``lin`` as the int8 graph computes it (see the module doc)."""
    wq, ws = quantize_weight(lin.weight.detach().float().numpy().T)  # [K, N] int8, [N]
    wq_t = torch.from_numpy(wq.astype("float64"))
    ws_t = torch.from_numpy(ws)
    bias = None if lin.bias is None else lin.bias.detach().float()

    def forward(x: torch.Tensor) -> torch.Tensor:
        xq, xs, xz = _dynamic_quantize(x)
        acc = ((xq - xz) @ wq_t).float()
        y = acc * (xs * ws_t)
        return y if bias is None else y + bias

    return forward


def int8_logits_product(qa: torch.Tensor, ka: torch.Tensor) -> torch.Tensor:
    """q' k'^T as the int8 graph computes it: q' uint8 per tensor (DynamicQuantizeLinear), k' in
    7 bits, symmetric, one scale per tensor."""
    xq, xs, xz = _dynamic_quantize(qa)
    ks = torch.clamp(ka.abs().max(), min=1e-30) / WEIGHT_MAX
    kq = torch.round(ka / ks).double()
    return ((xq - xz) @ kq.transpose(-2, -1)).float() * (xs * ks)


def int8_attention(model: HSam) -> list:
    """The Attention modules whose logits the int8 graph computes in int8 (at least
    ATTENTION_MIN_KEYS keys: quantize.int8_attention_blocks for the same model)."""
    out = []
    for blk in model.image_encoder.blocks:
        h, w = blk.attn.rel_pos_h.shape[0] // 2 + 1, blk.attn.rel_pos_w.shape[0] // 2 + 1
        if h * w >= ATTENTION_MIN_KEYS:
            out.append(blk.attn)
    return out


def encoder_linears(model: HSam) -> List[nn.Linear]:
    return [m for m in model.image_encoder.modules() if isinstance(m, nn.Linear)]


@contextlib.contextmanager
def int8_encoder(model: HSam) -> Iterator[int]:
    """Within the block, the image encoder's Linear layers compute as encoder.int8.onnx does;
    yields how many layers were replaced (compare with quantize_model's count)."""
    lins = encoder_linears(model)
    attns = int8_attention(model)
    for lin in lins:
        lin.forward = int8_linear_forward(lin)  # type: ignore[method-assign]
    for attn in attns:
        attn.logits_product = int8_logits_product
    try:
        yield len(lins)
    finally:
        for lin in lins:
            del lin.forward  # back to the class's forward
        for attn in attns:
            attn.logits_product = None


def int8_dice_change(
    model: HSam, images: torch.Tensor, labels: torch.Tensor, class_names: Sequence[str]
) -> Dict[str, object]:
    """Dice per class on ``images`` [K,S,S] float32 / ``labels`` [K,S,S] with the fp32 model and
    with the int8 encoder (one slice per call, as the app runs it: the activation scale is per
    call), pooled as the card's quality. Classes absent from labels and both predictions are left
    out."""
    n = len(class_names) + 1
    fp = pooled_dice(predict_labels(model, images), labels, n)
    with int8_encoder(model):
        q = pooled_dice(predict_labels(model, images, batch=1), labels, n)
    fp32: Dict[str, float] = {}
    int8: Dict[str, float] = {}
    for c in range(1, n):
        a: Optional[float] = fp[c]
        b: Optional[float] = q[c]
        if a is None and b is None:
            continue
        fp32[class_names[c - 1]] = round(a or 0.0, 4)
        int8[class_names[c - 1]] = round(b or 0.0, 4)
    change = max((abs(int8[k] - fp32[k]) for k in fp32), default=0.0)
    return {"fp32": fp32, "int8": int8, "maxAbsChange": round(change, 4), "slices": int(images.shape[0])}
