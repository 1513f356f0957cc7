"""SAM ViT image encoder with optional LoRA on the q and v projections.

Input: image float32 [B, 3, S, S] (the grayscale slice repeated in 3 channels,
already in the model's value range, e.g. CT windowed to [0, 1]; no mean/std
normalisation happens here). Output: embeddings float32 [B, C_out, S/16, S/16].

Parameter names follow SAM's published checkpoints
(``image_encoder.blocks.{i}.attn.qkv.weight`` ...), so the encoder part of a
SAM ``.pth`` loads with strict key matching once its position tables have been
resized to S (see checkpoint.py). LoRA parameters exist only while fine-tuning;
``fold_lora`` merges them into qkv so exported graphs and saved checkpoints
never contain them.
"""

from __future__ import annotations

import math
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .common import LayerNorm2d, MLPBlock


class ImageEncoderViT(nn.Module):
    def __init__(
        self,
        img_size: int,
        embed_dim: int,
        depth: int,
        num_heads: int,
        global_attn_indexes: Sequence[int],
        window_size: int = 14,
        patch_size: int = 16,
        in_chans: int = 3,
        mlp_ratio: float = 4.0,
        out_chans: int = 256,
    ) -> None:
        super().__init__()
        self.img_size = img_size
        grid = img_size // patch_size
        self.grid = grid
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        # Absolute position table, channels last, already at this model's grid.
        self.pos_embed = nn.Parameter(torch.zeros(1, grid, grid, embed_dim))
        self.blocks = nn.ModuleList()
        for i in range(depth):
            is_global = i in global_attn_indexes
            self.blocks.append(
                Block(
                    dim=embed_dim,
                    num_heads=num_heads,
                    mlp_ratio=mlp_ratio,
                    window_size=0 if is_global else window_size,
                    input_size=(grid, grid) if is_global else (window_size, window_size),
                )
            )
        self.neck = nn.Sequential(
            nn.Conv2d(embed_dim, out_chans, kernel_size=1, bias=False),
            LayerNorm2d(out_chans),
            nn.Conv2d(out_chans, out_chans, kernel_size=3, padding=1, bias=False),
            LayerNorm2d(out_chans),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: float32 [B, 3, S, S] -> float32 [B, out_chans, S/16, S/16]."""
        x = self.patch_embed(x) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        # The official encoder also returns block 10's output; nothing uses it.
        return self.neck(x.permute(0, 3, 1, 2))

    # -- LoRA -----------------------------------------------------------------
    def enable_lora(self, rank: int) -> None:
        """Add LoRA (A kaiming-uniform, B zero) to every block's q and v."""
        for blk in self.blocks:
            blk.attn.enable_lora(rank)

    def fold_lora(self) -> None:
        """Merge LoRA into qkv weights and drop the LoRA parameters."""
        for blk in self.blocks:
            blk.attn.fold_lora()

    def lora_parameters(self) -> list:
        return [p for blk in self.blocks for p in blk.attn.lora_parameters()]


class PatchEmbed(nn.Module):
    """16x16 stride-16 conv; returns channels-last [B, S/16, S/16, C]."""

    def __init__(self, patch_size: int, in_chans: int, embed_dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).permute(0, 2, 3, 1)


class Block(nn.Module):
    """Pre-norm transformer block; window attention when window_size > 0."""

    def __init__(
        self, dim: int, num_heads: int, mlp_ratio: float, window_size: int, input_size: Tuple[int, int]
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, input_size)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = MLPBlock(dim, int(dim * mlp_ratio), nn.GELU)  # exact (erf) GELU
        self.window_size = window_size
        #: Export form (export_forms.py): a windowed block projects only the real tokens.
        self.project_real_tokens = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm1(x)
        if self.window_size > 0 and self.project_real_tokens:
            x = self._windowed_real_tokens(x)
        elif self.window_size > 0:
            h, w = x.shape[1], x.shape[2]
            x, padded = window_partition(x, self.window_size)
            x = self.attn(x)
            x = window_unpartition(x, self.window_size, padded, (h, w))
        else:
            x = self.attn(x)
        x = shortcut + x
        return x + self.mlp(self.norm2(x))

    def _windowed_real_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Window attention computed for the H*W real tokens only, window by window: the same
        function as the reference path, without the work whose results the crop throws away, and
        without moving the padded grid around.

        - The real tokens are gathered in window order first (window_groups: the windows fall into
          at most four groups by how many real rows and columns they hold: whole windows, the
          right and bottom edges, the corner), so each group's queries, keys and values are one
          contiguous run of the projection's output; they are gathered back after it.
        - Pad keys and values: a pad token is zero after norm1, so its qkv is the bias alone. Each
          window of a group has the same pad positions, so its pad keys (the k bias with the
          one-hots of those positions) and pad values (the v bias) are constants, placed after
          its real ones (a key's place in the sum does not matter; SAM does not mask them).
        - The output projection acts token by token, so it needs no crop.

        At 512 (32x32 tokens padded to 42x42) this skips 42 % of the projections' and of the
        attention's work in every windowed block, and the 8-D transpose of the padded keys and
        values that cutting the padded grid into windows took.
        """
        attn = self.attn
        if attn.lora_rank > 0:
            raise ValueError("fold LoRA before taking the export form")
        ws = self.window_size
        h, w, c = int(x.shape[1]), int(x.shape[2]), int(x.shape[3])
        nh = attn.num_heads
        hd = c // nh
        groups = window_groups(h, w, ws)
        order = np.concatenate([g.tokens for g in groups])
        in_place = bool((order == np.arange(h * w)).all())  # one column of windows: already in order
        tokens = x.reshape(-1, h * w, c)
        qkv = attn.qkv(tokens if in_place else tokens[:, torch.from_numpy(order)])
        bias_k = attn.qkv.bias[c : 2 * c].reshape(nh, 1, hd)
        bias_v = attn.qkv.bias[2 * c :].reshape(nh, 1, hd)
        outs = []
        start = 0
        for g in groups:
            n, nw, nq = g.tokens.size, g.windows, g.rows * g.cols

            def heads(i: int) -> torch.Tensor:
                """q (0), k (1) or v (2) of this group: [B * windows * heads, nq, hd]."""
                t = qkv[:, start : start + n, i * c : (i + 1) * c]  # one Slice, no Split first
                return t.reshape(-1, nw, nq, nh, hd).permute(0, 1, 3, 2, 4).reshape(-1, nq, hd)

            q, k, v = heads(0), heads(1), heads(2)
            # Keys get 2*ws columns and the pad keys' rows as zeros (one Pad), then one constant
            # added: the real keys' one-hots, the pad keys' k bias and one-hots. The values get
            # the pad rows' v bias likewise. (Concats would need the constants expanded to the
            # batch first: shape arithmetic at run time that costs a small model more.)
            npad = g.pad_onehot.shape[0]
            k_add = torch.cat(
                [
                    torch.cat([torch.zeros(nh, nq, hd), bias_k.expand(nh, npad, hd)], dim=1),
                    torch.from_numpy(np.concatenate([g.real_onehot, g.pad_onehot])).expand(nh, nq + npad, 2 * ws),
                ],
                dim=-1,
            ).to(k.dtype)
            k = F.pad(k.reshape(-1, nh, nq, hd), (0, 2 * ws, 0, npad)) + k_add
            k = k.reshape(-1, nq + npad, hd + 2 * ws)
            if npad:
                v_add = torch.cat([torch.zeros(nh, nq, hd), bias_v.expand(nh, npad, hd)], dim=1).to(v.dtype)
                v = (F.pad(v.reshape(-1, nh, nq, hd), (0, 0, 0, npad)) + v_add).reshape(-1, nq + npad, hd)
            out = attn.attend_folded(q, k, v, (g.rows, g.cols), (ws, ws))
            outs.append(out.reshape(-1, nw, nh, nq, hd).permute(0, 1, 3, 2, 4).reshape(-1, n, c))
            start += n
        out = attn.proj(torch.cat(outs, dim=1) if len(outs) > 1 else outs[0])
        if not in_place:
            out = out[:, torch.from_numpy(np.argsort(order))]
        return out.reshape(-1, h, w, c)


class WindowGroup:
    """Windows with the same number of real rows and columns: their real tokens (row-major indices
    into the h x w grid, window by window, row-major within each), and the one-hot row/column
    columns (key_onehots) of its real keys and of its pad keys. numpy, so that tracing records
    them as constants."""

    def __init__(self, tokens: np.ndarray, windows: int, rows: int, cols: int, ws: int) -> None:
        self.tokens = tokens
        self.windows, self.rows, self.cols = windows, rows, cols
        pos = np.arange(ws * ws).reshape(ws, ws)
        mask = np.ones((ws, ws), dtype=bool)
        mask[:rows, :cols] = False
        onehot = key_onehots(ws, ws)
        self.real_onehot = onehot[pos[:rows, :cols].reshape(-1)]
        self.pad_onehot = onehot[pos[mask]]


def window_groups(h: int, w: int, ws: int) -> List[WindowGroup]:
    """The windows of an h x w grid cut into ws x ws windows (the last row and column of windows
    padded), grouped by their real rows and columns: whole windows first, then the right edge,
    the bottom edge and the corner, as far as the grid has them."""
    # Row (column) bands of windows: (first window, windows, real rows (columns) in each).
    bands_y = [(0, h // ws, ws)] * (h >= ws) + [(h // ws, 1, h % ws)] * (h % ws > 0)
    bands_x = [(0, w // ws, ws)] * (w >= ws) + [(w // ws, 1, w % ws)] * (w % ws > 0)
    grid = np.arange(h * w).reshape(h, w)
    out = []
    for wy, ny, ry in bands_y:
        for wx, nx, rx in bands_x:
            t = grid[wy * ws : wy * ws + ny * ry, wx * ws : wx * ws + nx * rx]
            t = t.reshape(ny, ry, nx, rx).transpose(0, 2, 1, 3).reshape(-1)
            out.append(WindowGroup(t, ny * nx, ry, rx, ws))
    return out


class Attention(nn.Module):
    """Multi-head attention with decomposed relative position and optional LoRA.

    logits = (q * d^-0.5) k^T + q.Rh[y-y'+S-1] + q.Rw[x-x'+S-1], where the
    relative terms use the *unscaled* q (as SAM computes them).
    """

    def __init__(self, dim: int, num_heads: int, input_size: Tuple[int, int]) -> None:
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim**-0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * input_size[0] - 1, head_dim))
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * input_size[1] - 1, head_dim))
        self.lora_rank = 0
        #: Export form (export_forms.py): the rel-pos terms folded into one product, same values.
        self.fused_rel_pos = False
        #: When set, the folded logits' product q' k'^T computed by this function instead (the
        #: int8 graph's arithmetic, int8_torch.py); None: the float product.
        self.logits_product: Optional[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = None

    def enable_lora(self, rank: int) -> None:
        dim = self.proj.in_features
        dev = self.qkv.weight.device
        self.lora_rank = rank
        # A: [r, dim] kaiming-uniform as nn.Linear does; B: [dim, r] zero, so
        # enabling LoRA does not change the output.
        self.lora_q_a = nn.Parameter(torch.empty(rank, dim, device=dev))
        self.lora_v_a = nn.Parameter(torch.empty(rank, dim, device=dev))
        for a in (self.lora_q_a, self.lora_v_a):
            nn.init.kaiming_uniform_(a, a=math.sqrt(5))
        self.lora_q_b = nn.Parameter(torch.zeros(dim, rank, device=dev))
        self.lora_v_b = nn.Parameter(torch.zeros(dim, rank, device=dev))

    def lora_parameters(self) -> list:
        if self.lora_rank == 0:
            return []
        return [self.lora_q_a, self.lora_q_b, self.lora_v_a, self.lora_v_b]

    @torch.no_grad()
    def fold_lora(self) -> None:
        if self.lora_rank == 0:
            return
        dim = self.proj.in_features
        w = self.qkv.weight
        w[0:dim] += self.lora_q_b @ self.lora_q_a
        w[2 * dim : 3 * dim] += self.lora_v_b @ self.lora_v_a
        for name in ("lora_q_a", "lora_q_b", "lora_v_a", "lora_v_b"):
            delattr(self, name)
        self.lora_rank = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B', H, W, C] (B' = batch x windows) -> [B', H, W, C]."""
        b, h, w, c = x.shape
        qkv = self.qkv(x)
        q, k, v = qkv.reshape(b, h * w, 3, c).unbind(2)
        if self.lora_rank > 0:
            # Unscaled LoRA, as in the released code: q += B_q A_q x.
            xf = x.reshape(b, h * w, c)
            q = q + F.linear(F.linear(xf, self.lora_q_a), self.lora_q_b)
            v = v + F.linear(F.linear(xf, self.lora_v_a), self.lora_v_b)
        return self.proj(self.attend(q, k, v, (b, h, w, c)))

    def attend(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, shape: Tuple[int, int, int, int]
    ) -> torch.Tensor:
        """q, k, v: [B', H*W, C] -> the heads' attention output [B', H, W, C], before proj."""
        b, h, w, c = shape
        nh = self.num_heads
        hd = c // nh
        # [B', N, C] -> [B'*heads, N, hd]
        q, k, v = (t.reshape(b, h * w, nh, hd).permute(0, 2, 1, 3).reshape(b * nh, h * w, hd) for t in (q, k, v))
        if self.fused_rel_pos or self.logits_product is not None:
            out = self.attend_folded(q, rel_pos_keys(k, (h, w)), v, (h, w), (h, w))
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1)
            attn = add_decomposed_rel_pos(attn, q, self.rel_pos_h, self.rel_pos_w, (h, w))
            out = attn.softmax(dim=-1) @ v
        return out.reshape(b, nh, h, w, hd).permute(0, 2, 3, 1, 4).reshape(b, h, w, c)

    def attend_folded(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        q_size: Tuple[int, int],
        k_size: Tuple[int, int],
    ) -> torch.Tensor:
        """One attention per head and window with the rel-pos terms folded into the product:
        q [B, Hq*Wq, hd], k' [B, H*W, hd+H+W] (rel_pos_keys), v [B, H*W, hd] -> [B, Hq*Wq, hd].
        The queries are the first Hq rows and Wq columns of the keys' H x W grid (all of it, or
        a window's real tokens).

        The same logits as add_decomposed_rel_pos, computed without two broadcast additions over
        the whole attention matrix (memory-bound passes that cost onnxruntime more than the
        product itself): each query gets its H + W relative terms appended (rel_pos_queries),
        each key the one-hot of its row and column (rel_pos_keys), so
        q' . k' = scale q.k + rel_h[key row] + rel_w[key column]."""
        qa = rel_pos_queries(q, self.scale, self.rel_pos_h, self.rel_pos_w, k_size, q_size)
        attn = qa @ k.transpose(-2, -1) if self.logits_product is None else self.logits_product(qa, k)
        return attn.softmax(dim=-1) @ v


def window_partition(x: torch.Tensor, ws: int) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Zero-pad [B, H, W, C] bottom/right to a multiple of ws and cut it into
    row-major windows [B * nW, ws, ws, C]. Pad tokens are not masked (as SAM)."""
    b, h, w, c = x.shape
    pad_h = (ws - h % ws) % ws
    pad_w = (ws - w % ws) % ws
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = h + pad_h, w + pad_w
    x = x.reshape(b, hp // ws, ws, wp // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, ws, ws, c), (hp, wp)


def window_unpartition(x: torch.Tensor, ws: int, padded: Tuple[int, int], size: Tuple[int, int]) -> torch.Tensor:
    """Inverse of window_partition, cropping the padding away."""
    hp, wp = padded
    h, w = size
    c = x.shape[-1]
    x = x.reshape(-1, hp // ws, wp // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(-1, hp, wp, c)
    return x[:, :h, :w, :]


def relative_table(rel_pos: torch.Tensor, size: int) -> torch.Tensor:
    """Rows rel_pos[y - y' + size - 1] for all (y, y'): [size, size, hd].

    The table must already have 2*size-1 rows: resizing happens once, when a
    checkpoint is loaded (checkpoint.resize_rel_pos), never at run time.
    """
    if rel_pos.shape[0] != 2 * size - 1:
        raise ValueError(f"rel-pos table has {rel_pos.shape[0]} rows, expected {2 * size - 1}")
    idx = torch.arange(size)[:, None] - torch.arange(size)[None, :] + (size - 1)
    return rel_pos[idx]


def add_decomposed_rel_pos(
    attn: torch.Tensor, q: torch.Tensor, rel_pos_h: torch.Tensor, rel_pos_w: torch.Tensor, size: Tuple[int, int]
) -> torch.Tensor:
    """attn: [B, H*W, H*W]; q: unscaled queries [B, H*W, hd]."""
    h, w = size
    rh = relative_table(rel_pos_h, h)
    rw = relative_table(rel_pos_w, w)
    b, _, hd = q.shape
    rq = q.reshape(b, h, w, hd)
    rel_h = torch.einsum("bhwc,hkc->bhwk", rq, rh)
    rel_w = torch.einsum("bhwc,wkc->bhwk", rq, rw)
    attn = attn.reshape(b, h, w, h, w) + rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]
    return attn.reshape(b, h * w, h * w)


def rel_pos_queries(
    q: torch.Tensor,
    scale: float,
    rel_pos_h: torch.Tensor,
    rel_pos_w: torch.Tensor,
    size: Tuple[int, int],
    q_size: Tuple[int, int],
) -> torch.Tensor:
    """q' [B, Hq*Wq, hd+H+W]: the scaled queries and their relative terms to every key row and
    column of the keys' H x W grid ``size``. The queries are the first Hq rows and Wq columns of
    that grid (``q_size``; the whole grid but for a window's real tokens)."""
    h, w = size
    qh, qw = q_size
    rh = relative_table(rel_pos_h, h)[:qh]
    rw = relative_table(rel_pos_w, w)[:qw]
    b, n, hd = q.shape
    # As batched products over the query row (column), not Einsum: onnxruntime's Einsum is slower.
    rq = q.reshape(b, qh, qw, hd)
    rel_h = (rq.permute(1, 0, 2, 3).reshape(qh, b * qw, hd) @ rh.transpose(1, 2)).reshape(qh, b, qw, h)
    rel_h = rel_h.permute(1, 0, 2, 3).reshape(b, n, h)
    rel_w = (rq.permute(2, 0, 1, 3).reshape(qw, b * qh, hd) @ rw.transpose(1, 2)).reshape(qw, b, qh, w)
    rel_w = rel_w.permute(1, 2, 0, 3).reshape(b, n, w)
    return torch.cat([q * scale, rel_h, rel_w], dim=-1)


def rel_pos_keys(k: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """k' [B, H*W, hd+H+W]: each key with the one-hot of its row and of its column."""
    h, w = size
    onehot = torch.from_numpy(key_onehots(h, w)).to(k.dtype)
    return torch.cat([k, onehot.expand(k.shape[0], h * w, h + w)], dim=-1)


def key_onehots(h: int, w: int) -> np.ndarray:
    """[H*W, H+W] float32: key (y, x) at row y * w + x has the one-hot of y in the first h columns
    and of x in the last w. numpy, so that tracing records a constant (no ops to fold, no Loop)."""
    return np.concatenate(
        [np.repeat(np.eye(h, dtype=np.float32), w, axis=0), np.tile(np.eye(w, dtype=np.float32), (h, 1))], axis=1
    )


def encoder_rel_pos_sizes(grid: int, window_size: int, depth: int, global_attn_indexes: Sequence[int]) -> list:
    """Row count of each block's rel-pos tables (for tests and the converter)."""
    return [2 * grid - 1 if i in global_attn_indexes else 2 * window_size - 1 for i in range(depth)]
