"""Small building blocks shared by the encoder and both decoders."""

from __future__ import annotations

from typing import Type

import torch
from torch import nn
from torch.nn import functional as F


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of a [B, C, H, W] float32 tensor.

    eps is 1e-6 everywhere it is used (encoder neck and both upscaling paths),
    matching the checkpoints' training code; nn.LayerNorm's 1e-5 would differ.
    """

    def __init__(self, num_channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))
        self.eps = eps
        #: Export form (export_forms.py): the convolution before this norm has weights whose mean
        #: over output channels is zero, so x arrives centred and the mean need not be taken.
        self.centered_input = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.centered_input:
            return self._normalize_centered(x)
        mean = x.mean(1, keepdim=True)
        d = x - mean
        # d * d, not d.pow(2): the same float32 values (PyTorch computes pow 2 as a product), and
        # onnxruntime's Pow is slower than its Mul (the demo's decoder, batch 4: 0.5 ms of 19).
        var = (d * d).mean(1, keepdim=True)
        x = d / torch.sqrt(var + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]

    def _normalize_centered(self, x: torch.Tensor) -> torch.Tensor:
        """The same norm for an input whose channel mean is zero: the variance as a product with a
        row of 1/C (onnxruntime's MatMul reads the squares faster than its ReduceMean over the
        channel axis) and one multiply by its reciprocal square root instead of a division."""
        c = self.weight.numel()
        b, _, h, w = x.shape
        var = (torch.full((1, 1, c), 1.0 / c, dtype=x.dtype) @ (x * x).reshape(b, c, h * w)).reshape(b, 1, h, w)
        return x * torch.rsqrt(var + self.eps) * self.weight[:, None, None] + self.bias[:, None, None]


class MLPBlock(nn.Module):
    """Two-layer transformer MLP, ``lin2(act(lin1(x)))`` on the last axis."""

    def __init__(self, embedding_dim: int, mlp_dim: int, act: Type[nn.Module] = nn.GELU) -> None:
        super().__init__()
        self.lin1 = nn.Linear(embedding_dim, mlp_dim)
        self.lin2 = nn.Linear(mlp_dim, embedding_dim)
        self.act = act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin2(self.act(self.lin1(x)))


class MLP(nn.Module):
    """``num_layers`` linear layers with ReLU between them (none after the last).

    Used for the hypernetworks (3 layers in stage 1, 5 in stage 2) and the
    unused IoU heads. Parameter names ``layers.{i}.weight/bias`` follow the
    checkpoints.
    """

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, num_layers: int) -> None:
        super().__init__()
        dims_in = [input_dim] + [hidden_dim] * (num_layers - 1)
        dims_out = [hidden_dim] * (num_layers - 1) + [output_dim]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(dims_in, dims_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = F.relu(x)
        return x
