"""The whole H-SAM model: encoder -> stage 1 -> prior -> stage 2 -> averaged logits.

Nothing from the user enters the decoders (prompt-free), so the decoder
output is a pure function of the image embedding E; the app caches E per slice.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional

import torch
from torch import nn
from torch.nn import functional as F

from .hierarchical_decoder import HierarchicalDecoder
from .image_encoder import ImageEncoderViT
from .mask_decoder import MaskDecoder
from .prompt_encoder import PromptEncoder


class HSam(nn.Module):
    def __init__(
        self,
        image_encoder: ImageEncoderViT,
        prompt_encoder: PromptEncoder,
        mask_decoder: MaskDecoder,
        mask_decoder2: HierarchicalDecoder,
    ) -> None:
        super().__init__()
        self.image_encoder = image_encoder
        self.prompt_encoder = prompt_encoder
        self.mask_decoder = mask_decoder
        self.mask_decoder2 = mask_decoder2

    @property
    def img_size(self) -> int:
        return self.image_encoder.img_size

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """image float32 [B, 3, S, S] -> E float32 [B, C, S/16, S/16]."""
        return self.image_encoder(image)

    def decode(
        self,
        emb: torch.Tensor,
        embedding_noise: float = 0.0,
        pe: Optional[torch.Tensor] = None,
        dense: Optional[torch.Tensor] = None,
        noise_fn: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
    ) -> Dict[str, torch.Tensor]:
        """E [B, C, g, g] -> dict of float32 logits (before softmax):

        - ``logits1``: stage 1, [B, N, 4g, 4g]
        - ``logits2``: stage 2, [B, N, 16g, 16g]
        - ``logits``: test-time output, (bilinear-upsampled logits1 + logits2) / 2

        ``embedding_noise`` > 0 (training only) adds the released code's
        stage-2 noise N(0,1) * noise * (max E - min E) to E. ``pe``/``dense``
        let the exporter pass precomputed constants. ``noise_fn(E)`` replaces that noise
        term (data-parallel training draws it for the whole global batch, distributed.py).
        """
        if pe is None:
            pe = self.prompt_encoder.dense_pe()
        if dense is None:
            dense = self.prompt_encoder.dense_embedding()
        g = emb.shape[-1]
        logits1, up1 = self.mask_decoder(emb + dense, pe)
        # Prior on the embedding grid: bilinear 4g -> g (align_corners=False;
        # for 4x this is the mean of rows/cols {4i+1, 4i+2}), softmax over classes.
        prior = F.interpolate(logits1, size=(g, g), mode="bilinear", align_corners=False)
        prior = prior.softmax(dim=1).flatten(2)
        emb2 = emb
        if embedding_noise > 0:
            noise = noise_fn(emb) if noise_fn else torch.randn_like(emb) * embedding_noise * (emb.max() - emb.min())
            emb2 = emb + noise
        # What the released CMAttn reduces to (see hierarchical_decoder.py).
        src2 = 2 * (emb2 + dense)
        logits2 = self.mask_decoder2(src2, pe, prior, up1)
        size = logits2.shape[-2:]
        up = F.interpolate(logits1, size=size, mode="bilinear", align_corners=False)
        return {"logits1": logits1, "logits2": logits2, "logits": (up + logits2) / 2}

    def forward(self, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        out = self.decode(self.encode(image))
        out["labels"] = out["logits"].softmax(dim=1).argmax(dim=1).to(torch.uint8)
        return out
