"""Stage 2: H-SAM's hierarchical decoder.

Inputs:
  src2   float32 [B, C, g, g]: 2 * (E + dense). The released "class-balanced
         mask-guided self-attention" (CMAttn) ends in a softmax over a single
         channel, which is identically 1, so its "enhancement" src + src * 1
         is exactly a doubling. Its modules (med_sel, self_attn, self_attn2,
         norm1, norm2, mlp) are kept only so checkpoints load strictly.
  pe     float32 [1, C, g, g]
  prior  float32 [B, N, g*g]: softmax over classes of stage-1 logits resized
         to the embedding grid (bilinear, align_corners=False)
  up1    float32 [B, C/8, 4g, 4g]: stage-1 upscaled features U1
Output: logits2 float32 [B, N, 16g, 16g], i.e. full input resolution.
"""

from __future__ import annotations

import torch
from torch import nn

from .common import MLP, LayerNorm2d, MLPBlock
from .mask_decoder import upscaling
from .transformer import Attention, TwoWayTransformer


class HierarchicalDecoder(nn.Module):
    def __init__(
        self,
        transformer_dim: int,
        num_mask_tokens: int,
        mlp_dim: int = 2048,
        num_heads: int = 8,
        iou_head_hidden_dim: int = 256,
        dead_width: int = 1024,
        dead_heads: int = 8,
        dead_mlp_dim: int = 2048,
        med_sel_in: int = 9,
        masked_norm_sizes: tuple = (196, 9, 1024),
    ) -> None:
        super().__init__()
        d = transformer_dim
        self.num_mask_tokens = num_mask_tokens
        self.transformer2 = TwoWayTransformer(
            2, d, num_heads, mlp_dim, downsample_rate=1, masked=True, masked_norm_sizes=masked_norm_sizes
        )
        self.mask_tokens = nn.Embedding(num_mask_tokens, d)  # no IoU token in stage 2
        self.output_upscaling = upscaling(d)
        # Hierarchical pixel decoder: [stage-2 features, U1] (2 x C/8 channels) -> C/16 at 4x.
        self.skip_connect = nn.Sequential(
            nn.ConvTranspose2d(d // 4, d // 8, kernel_size=2, stride=2),
            LayerNorm2d(d // 8),
            nn.GELU(),
            nn.ConvTranspose2d(d // 8, d // 16, kernel_size=2, stride=2),
            LayerNorm2d(d // 16),
            nn.GELU(),
        )
        self.output_hypernetworks_mlps2 = nn.ModuleList(MLP(d, d, d // 16, 5) for _ in range(num_mask_tokens))
        # ---- never used in forward; present in the checkpoints ----
        self.iou_prediction_head = MLP(d, iou_head_hidden_dim, num_mask_tokens, 3)
        self.med_sel = nn.Sequential(nn.Linear(med_sel_in, 1), nn.ReLU())
        self.self_attn = Attention(dead_width, dead_heads)
        self.norm1 = nn.LayerNorm(dead_width)
        self.self_attn2 = Attention(dead_width, dead_heads)
        self.norm2 = nn.LayerNorm(dead_width)
        self.mlp = MLPBlock(dead_width, dead_mlp_dim, nn.ReLU)

    def forward(self, src2: torch.Tensor, pe: torch.Tensor, prior: torch.Tensor, up1: torch.Tensor) -> torch.Tensor:
        b, c, h, w = src2.shape
        tokens = self.mask_tokens.weight.unsqueeze(0).expand(b, -1, -1)
        hs, keys = self.transformer2(src2, pe, tokens, prior)
        up2 = self.output_upscaling(keys.transpose(1, 2).reshape(b, c, h, w))
        feats = self.skip_connect(torch.cat([up2, up1], dim=1))
        hyper = torch.stack([mlp(hs[:, i, :]) for i, mlp in enumerate(self.output_hypernetworks_mlps2)], dim=1)
        bf, cf, hf, wf = feats.shape
        return (hyper @ feats.reshape(bf, cf, hf * wf)).reshape(bf, -1, hf, wf)
