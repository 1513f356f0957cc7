"""Stage 1: SAM's mask decoder with one mask token per class.

Input: src = E + dense, float32 [B, C, g, g] and the grid PE [1, C, g, g].
Output: logits1 float32 [B, N, 4g, 4g] (channel i = class i, 0 = background)
and the upscaled features U1 [B, C/8, 4g, 4g] that stage 2 concatenates.
"""

from __future__ import annotations

from typing import Tuple

import torch
from torch import nn

from .common import MLP, LayerNorm2d
from .transformer import TwoWayTransformer


def upscaling(dim: int) -> nn.Sequential:
    """ConvT(C->C/4) -> LN2d -> GELU -> ConvT(C/4->C/8) -> GELU: 4x upsampling."""
    return nn.Sequential(
        nn.ConvTranspose2d(dim, dim // 4, kernel_size=2, stride=2),
        LayerNorm2d(dim // 4),
        nn.GELU(),
        nn.ConvTranspose2d(dim // 4, dim // 8, kernel_size=2, stride=2),
        nn.GELU(),
    )


class MaskDecoder(nn.Module):
    def __init__(
        self,
        transformer_dim: int,
        num_mask_tokens: int,
        mlp_dim: int = 2048,
        num_heads: int = 8,
        iou_head_hidden_dim: int = 256,
    ) -> None:
        super().__init__()
        self.num_mask_tokens = num_mask_tokens
        self.transformer = TwoWayTransformer(2, transformer_dim, num_heads, mlp_dim, downsample_rate=2)
        self.iou_token = nn.Embedding(1, transformer_dim)
        self.mask_tokens = nn.Embedding(num_mask_tokens, transformer_dim)
        self.output_upscaling = upscaling(transformer_dim)
        self.output_hypernetworks_mlps = nn.ModuleList(
            MLP(transformer_dim, transformer_dim, transformer_dim // 8, 3) for _ in range(num_mask_tokens)
        )
        # Unused at test time; stored in the checkpoints.
        self.iou_prediction_head = MLP(transformer_dim, iou_head_hidden_dim, num_mask_tokens, 3)

    def forward(self, src: torch.Tensor, image_pe: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        b, c, h, w = src.shape
        tokens = torch.cat([self.iou_token.weight, self.mask_tokens.weight], dim=0)
        tokens = tokens.unsqueeze(0).expand(b, -1, -1)
        hs, keys = self.transformer(src, image_pe, tokens)
        mask_tokens_out = hs[:, 1 : 1 + self.num_mask_tokens, :]
        up = self.output_upscaling(keys.transpose(1, 2).reshape(b, c, h, w))
        hyper = torch.stack(
            [mlp(mask_tokens_out[:, i, :]) for i, mlp in enumerate(self.output_hypernetworks_mlps)], dim=1
        )  # [B, N, C/8]
        bu, cu, hu, wu = up.shape
        logits = (hyper @ up.reshape(bu, cu, hu * wu)).reshape(bu, -1, hu, wu)
        return logits, up
