"""Two-way transformer shared by both decoder stages.

Block order is the released H-SAM code's, which differs from SAM/SAMed:
token->image cross-attention runs *before* token self-attention:

  1. Q = LN2(Q + CA_t2i(Q+QPE, K+KPE, K))
  2. layer 0: Q = SA(Q, Q, Q)  (no residual, no PE); layer 1: Q = Q + SA(Q+QPE, Q+QPE, Q); Q = LN1(Q)
  3. Q = LN3(Q + MLP(Q))
  4. K = LN4(K + CA_i2t(K+KPE, Q+QPE, Q))

then Q = LN(Q + FinalAttn_t2i(Q+QPE, K+KPE, K)). Decoder LayerNorms use
PyTorch's default eps 1e-5. With ``masked=True`` (stage 2) the two cross
attentions are "learnable mask" attentions (see MaskedAttention).
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from .common import MLPBlock

# Key lengths (pixels of the embedding grid) at which the released stage-2
# token->image attention applies the prior: 32x32 (512 input) and 14x14 (224).
MASKED_KEY_LENGTHS = (1024, 196)


class Attention(nn.Module):
    """softmax(q k^T / sqrt(d)) v with q/k/v projected to ``dim // downsample_rate``."""

    def __init__(self, embedding_dim: int, num_heads: int, downsample_rate: int = 1) -> None:
        super().__init__()
        self.num_heads = num_heads
        internal = embedding_dim // downsample_rate
        if internal % num_heads:
            raise ValueError("num_heads must divide the internal width")
        self.q_proj = nn.Linear(embedding_dim, internal)
        self.k_proj = nn.Linear(embedding_dim, internal)
        self.v_proj = nn.Linear(embedding_dim, internal)
        self.out_proj = nn.Linear(internal, embedding_dim)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.reshape(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)

    def _weights(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """Softmaxed attention [B, heads, Nq, Nk]."""
        q = self._heads(self.q_proj(q))
        k = self._heads(self.k_proj(k))
        attn = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        return attn.softmax(dim=-1)

    def _output(self, attn: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        v = self._heads(self.v_proj(v))
        out = attn @ v  # [B, heads, Nq, hd]
        b, h, n, d = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, n, h * d))

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return self._output(self._weights(q, k), v)


class MaskedAttention(Attention):
    """Stage-2 "learnable mask" cross-attention.

    After the softmax the weights are multiplied by the class prior
    P [B, N, HW] (softmaxed stage-1 logits on the embedding grid), with no
    renormalisation, broadcast across heads. (The released code repeats P per
    head with repeat_interleave, which ONNX Runtime's shape inference rejects;
    broadcasting is numerically identical.)

    - token->image (keys are the HW pixels): A[h,n,p] *= P[n,p], only if
      HW is 1024 or 196, as in the released code.
    - image->token (keys are the N tokens): A[h,p,n] *= P[n,p]. The released
      code's else-branch applies this one at every input size.

    norm1..3 are never used; they exist because the checkpoints store them
    (sizes 196, 9, 1024 are literal in the released code, whatever N is).
    """

    def __init__(self, embedding_dim: int, num_heads: int, norm_sizes: Sequence[int] = (196, 9, 1024)) -> None:
        super().__init__(embedding_dim, num_heads, downsample_rate=1)
        self.norm1 = nn.LayerNorm(norm_sizes[0])
        self.norm2 = nn.LayerNorm(norm_sizes[1])
        self.norm3 = nn.LayerNorm(norm_sizes[2])

    def forward(  # type: ignore[override]
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, prior: torch.Tensor
    ) -> torch.Tensor:
        attn = self._weights(q, k)
        n_keys = attn.shape[-1]
        if n_keys == prior.shape[-1]:
            if n_keys in MASKED_KEY_LENGTHS:
                attn = attn * prior.unsqueeze(1)
        else:
            attn = attn * prior.transpose(1, 2).unsqueeze(1)
        return self._output(attn, v)


class TwoWayBlock(nn.Module):
    def __init__(
        self,
        embedding_dim: int,
        num_heads: int,
        mlp_dim: int,
        downsample_rate: int,
        skip_first_layer_pe: bool,
        masked: bool,
        masked_norm_sizes: Sequence[int] = (196, 9, 1024),
    ) -> None:
        super().__init__()
        self.masked = masked
        self.self_attn = Attention(embedding_dim, num_heads)
        self.norm1 = nn.LayerNorm(embedding_dim)
        if masked:
            self.cross_attn_token_to_image = MaskedAttention(embedding_dim, num_heads, masked_norm_sizes)
        else:
            self.cross_attn_token_to_image = Attention(embedding_dim, num_heads, downsample_rate)
        self.norm2 = nn.LayerNorm(embedding_dim)
        self.mlp = MLPBlock(embedding_dim, mlp_dim, nn.ReLU)
        self.norm3 = nn.LayerNorm(embedding_dim)
        self.norm4 = nn.LayerNorm(embedding_dim)
        if masked:
            self.cross_attn_image_to_token = MaskedAttention(embedding_dim, num_heads, masked_norm_sizes)
        else:
            self.cross_attn_image_to_token = Attention(embedding_dim, num_heads, downsample_rate)
        self.skip_first_layer_pe = skip_first_layer_pe
        # Stage 2 only, training only (no-op in eval and in exported graphs).
        self.dropout = nn.Dropout(0.2) if masked else nn.Identity()

    def forward(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        query_pe: torch.Tensor,
        key_pe: torch.Tensor,
        prior: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        q = queries + query_pe
        k = keys + key_pe
        if self.masked:
            out = self.cross_attn_token_to_image(q, k, keys, prior)
        else:
            out = self.cross_attn_token_to_image(q, k, keys)
        queries = self.norm2(queries + self.dropout(out))

        if self.skip_first_layer_pe:
            queries = self.self_attn(queries, queries, queries)
        else:
            q = queries + query_pe
            queries = queries + self.self_attn(q, q, queries)
        queries = self.norm1(queries)

        queries = self.norm3(queries + self.mlp(queries))

        q = queries + query_pe
        k = keys + key_pe
        if self.masked:
            out = self.cross_attn_image_to_token(k, q, queries, prior)
        else:
            out = self.cross_attn_image_to_token(k, q, queries)
        keys = self.norm4(keys + out)
        return queries, keys


class TwoWayTransformer(nn.Module):
    """Tokens [B, T, C] attend to an image [B, C, g, g] and back.

    Returns (tokens [B, T, C], image tokens [B, g*g, C]).
    """

    def __init__(
        self,
        depth: int,
        embedding_dim: int,
        num_heads: int,
        mlp_dim: int,
        downsample_rate: int = 2,
        masked: bool = False,
        masked_norm_sizes: Sequence[int] = (196, 9, 1024),
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            TwoWayBlock(embedding_dim, num_heads, mlp_dim, downsample_rate, i == 0, masked, masked_norm_sizes)
            for i in range(depth)
        )
        # The final attention is a plain (unmasked) width-C/2 attention in both stages.
        self.final_attn_token_to_image = Attention(embedding_dim, num_heads, downsample_rate=2)
        self.norm_final_attn = nn.LayerNorm(embedding_dim)

    def forward(
        self, image: torch.Tensor, image_pe: torch.Tensor, tokens: torch.Tensor, prior: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        keys = image.flatten(2).transpose(1, 2)
        key_pe = image_pe.flatten(2).transpose(1, 2)
        queries = tokens
        for layer in self.layers:
            queries, keys = layer(queries, keys, tokens, key_pe, prior)
        out = self.final_attn_token_to_image(queries + tokens, keys + key_pe, keys)
        return self.norm_final_attn(queries + out), keys
