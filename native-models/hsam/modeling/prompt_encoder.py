"""Prompt encoder in H-SAM's prompt-free mode.

H-SAM never feeds points, boxes or masks: the only things used at run time
are the dense "no mask" embedding and the random-Fourier positional encoding
of the embedding grid. The point/box/mask modules still exist as parameters
because the H-SAM checkpoint stores them (11 point embeddings: 9 "class
points" + 2 box corners) and we load it with strict key matching.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .common import LayerNorm2d


class PromptEncoder(nn.Module):
    def __init__(self, embed_dim: int, grid: int, mask_in_chans: int = 16, num_point_embeddings: int = 11) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.grid = grid
        self.pe_layer = PositionEmbeddingRandom(embed_dim // 2)
        # Unused at run time; kept for checkpoint compatibility.
        self.point_embeddings = nn.ModuleList(nn.Embedding(1, embed_dim) for _ in range(num_point_embeddings))
        self.not_a_point_embed = nn.Embedding(1, embed_dim)
        self.mask_downscaling = nn.Sequential(
            nn.Conv2d(1, mask_in_chans // 4, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans // 4),
            nn.GELU(),
            nn.Conv2d(mask_in_chans // 4, mask_in_chans, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans),
            nn.GELU(),
            nn.Conv2d(mask_in_chans, embed_dim, kernel_size=1),
        )
        self.no_mask_embed = nn.Embedding(1, embed_dim)

    def dense_pe(self) -> torch.Tensor:
        """Positional encoding of the embedding grid: float32 [1, C, g, g] in [-1, 1]."""
        return self.pe_layer(self.grid).unsqueeze(0)

    def dense_embedding(self) -> torch.Tensor:
        """The "no mask" embedding as [1, C, 1, 1]; broadcasts over batch and grid."""
        return self.no_mask_embed.weight.reshape(1, -1, 1, 1)


class PositionEmbeddingRandom(nn.Module):
    """PE(i, j) = [sin p, cos p], p = 2*pi * (c @ G), c = 2*((j+.5)/g, (i+.5)/g) - 1 (x first).

    G is the [2, C/2] gaussian buffer stored in the checkpoint.
    """

    def __init__(self, num_pos_feats: int) -> None:
        super().__init__()
        self.register_buffer("positional_encoding_gaussian_matrix", torch.randn(2, num_pos_feats))

    def forward(self, grid: int) -> torch.Tensor:
        """-> float32 [C, g, g]."""
        g = self.positional_encoding_gaussian_matrix
        centres = (torch.arange(grid, dtype=torch.float32, device=g.device) + 0.5) / grid
        y, x = torch.meshgrid(centres, centres, indexing="ij")
        coords = 2 * torch.stack([x, y], dim=-1) - 1
        p = 2 * math.pi * (coords @ g)
        return torch.cat([torch.sin(p), torch.cos(p)], dim=-1).permute(2, 0, 1)
