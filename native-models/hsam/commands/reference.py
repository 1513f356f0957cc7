"""`hsam.py reference`: PyTorch outputs for a deterministic input (the ONNX parity test)."""

from __future__ import annotations

import json
import os
from typing import Any, Dict

import torch

from ..checkpoint import load_ours


def test_image(batch: int, size: int, seed: int) -> torch.Tensor:
    """A deterministic structured input in [0, 1]: smooth blobs + noise, [B,3,S,S]."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    imgs = []
    for _ in range(batch):
        img = torch.zeros(size, size)
        for _ in range(6):
            cx, cy, r = torch.rand(3, generator=g) * torch.tensor([1.6, 1.6, 0.4]) + torch.tensor([-0.8, -0.8, 0.1])
            img += torch.rand(1, generator=g) * torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (r * r))
        img = img + 0.05 * torch.rand(size, size, generator=g)
        imgs.append((img / img.max()).clamp(0, 1))
    return torch.stack(imgs)[:, None].expand(-1, 3, -1, -1).contiguous()


def reference(model_dir: str, out: str, batch: int, seed: int) -> Dict[str, Any]:
    """Run PyTorch on a deterministic input; dump raw little-endian arrays + meta.json."""
    model, cfg, _ = load_ours(os.path.join(model_dir, "model.pt"))
    x = test_image(batch, cfg.img_size, seed)
    with torch.no_grad():
        emb = model.encode(x)
        res = model.decode(emb)
        labels = res["logits"].argmax(dim=1).to(torch.uint8)
    os.makedirs(out, exist_ok=True)
    arrays = {"image": x, "embeddings": emb, "logits": res["logits"], "labels": labels}
    meta: Dict[str, Any] = {}
    for k, v in arrays.items():
        a = v.contiguous().numpy()
        a.tofile(os.path.join(out, f"{k}.bin"))
        meta[k] = {"file": f"{k}.bin", "dtype": str(a.dtype), "shape": list(a.shape)}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta
