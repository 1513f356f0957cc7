"""Registry of model sizes and the builder.

``vit_b``/``vit_l``/``vit_h`` are SAM's encoders with the H-SAM decoders at
their published widths: their parameter names and shapes match
``sam_vit_{b,l,h}_*.pth`` (encoder) plus the H-SAM training script's
checkpoint (LoRA, prompt encoders, both decoders).

``tiny`` is our own small configuration for tests and the shipped demo: a
4-block ViT (2 window + 2 global blocks, window 8 so the 14x14 grid at 224 is
padded to 16x16 and the padding path is exercised), decoders at width 128.
Its default input is 224, one of the two sizes (512 and 224) at which the
released stage-2 token->image attention applies the class prior (14x14 = 196
keys), so the tiny model keeps the official mask-condition semantics.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, List

from .modeling.hierarchical_decoder import HierarchicalDecoder
from .modeling.image_encoder import ImageEncoderViT
from .modeling.mask_decoder import MaskDecoder
from .modeling.model import HSam
from .modeling.prompt_encoder import PromptEncoder


@dataclass(frozen=True)
class HSamConfig:
    """Everything needed to rebuild the module tree (stored in our .pt and model.json)."""

    name: str
    img_size: int
    num_classes: int  # foreground classes; the model outputs N = num_classes + 1 channels
    embed_dim: int
    depth: int
    num_heads: int
    global_attn_indexes: List[int]
    window_size: int = 14
    transformer_dim: int = 256
    decoder_mlp_dim: int = 2048
    decoder_heads: int = 8
    iou_head_hidden_dim: int = 256
    # Unused stage-2 modules, sized as in the checkpoints they must load.
    dead_width: int = 1024
    dead_heads: int = 8
    dead_mlp_dim: int = 2048
    med_sel_in: int = 9
    masked_norm_sizes: List[int] = field(default_factory=lambda: [196, 9, 1024])
    sam_img_size: int = 1024  # the size SAM's published encoder tables were trained at

    @property
    def num_outputs(self) -> int:
        return self.num_classes + 1

    @property
    def grid(self) -> int:
        return self.img_size // 16

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: Dict[str, Any]) -> "HSamConfig":
        d = dict(d)
        # Files written before dead_mlp_dim existed built the dead MLP as 2 x width.
        d.setdefault("dead_mlp_dim", 2 * d.get("dead_width", 1024))
        return HSamConfig(**d)


SIZES: Dict[str, Dict[str, Any]] = {
    "vit_b": dict(embed_dim=768, depth=12, num_heads=12, global_attn_indexes=[2, 5, 8, 11]),
    "vit_l": dict(embed_dim=1024, depth=24, num_heads=16, global_attn_indexes=[5, 11, 17, 23]),
    "vit_h": dict(embed_dim=1280, depth=32, num_heads=16, global_attn_indexes=[7, 15, 23, 31]),
    "tiny": dict(
        embed_dim=128,
        depth=4,
        num_heads=4,
        global_attn_indexes=[1, 3],
        window_size=8,
        transformer_dim=128,
        decoder_mlp_dim=512,
        iou_head_hidden_dim=128,
        # The dead CMAttn would operate on the g*g = 196 affinity columns at 224.
        dead_width=196,
        dead_heads=4,
        dead_mlp_dim=392,
        masked_norm_sizes=[196, 9, 196],
    ),
}
# The official stage-2 decoders' dead CMAttn, per input size (official H-SAM code: MaskDecoder2 at
# 512, MaskDecoder2_224 at 224): attention width = the embedding grid's g*g, its head count (7 at
# 224: 196 is not a multiple of 8), and an MLP hidden width of 2048 at both sizes. Literal
# constants in the released code, not a formula of the width.
OFFICIAL_DEAD = {
    512: dict(dead_width=1024, dead_heads=8, dead_mlp_dim=2048),
    224: dict(dead_width=196, dead_heads=7, dead_mlp_dim=2048),
}
OFFICIAL_DEAD_HEADS = {v["dead_width"]: v["dead_heads"] for v in OFFICIAL_DEAD.values()}
DEFAULT_IMG_SIZE = {"vit_b": 512, "vit_l": 512, "vit_h": 512, "tiny": 224}


def make_config(name: str, img_size: int | None = None, num_classes: int = 8, **overrides: Any) -> HSamConfig:
    """Config for a registered size. ``img_size`` must be a multiple of 16."""
    if name not in SIZES:
        raise ValueError(f"unknown model size {name!r}; choose one of {sorted(SIZES)}")
    size = img_size or DEFAULT_IMG_SIZE[name]
    if size % 16:
        raise ValueError(f"img_size must be a multiple of 16, got {size}")
    params = dict(SIZES[name])
    params.setdefault("med_sel_in", num_classes + 1 if name == "tiny" else 9)
    if name != "tiny" and size in OFFICIAL_DEAD:
        params.update(OFFICIAL_DEAD[size])
    cfg = HSamConfig(name=name, img_size=size, num_classes=num_classes, **params)
    return replace(cfg, **overrides) if overrides else cfg


def build_hsam(cfg: HSamConfig) -> HSam:
    """Build the module tree with PyTorch's default (random) initialisation."""
    n = cfg.num_outputs
    encoder = ImageEncoderViT(
        img_size=cfg.img_size,
        embed_dim=cfg.embed_dim,
        depth=cfg.depth,
        num_heads=cfg.num_heads,
        global_attn_indexes=cfg.global_attn_indexes,
        window_size=cfg.window_size,
        out_chans=cfg.transformer_dim,
    )
    prompt = PromptEncoder(cfg.transformer_dim, cfg.grid)
    dec1 = MaskDecoder(cfg.transformer_dim, n, cfg.decoder_mlp_dim, cfg.decoder_heads, cfg.iou_head_hidden_dim)
    dec2 = HierarchicalDecoder(
        cfg.transformer_dim,
        n,
        cfg.decoder_mlp_dim,
        cfg.decoder_heads,
        cfg.iou_head_hidden_dim,
        dead_width=cfg.dead_width,
        dead_heads=cfg.dead_heads,
        dead_mlp_dim=cfg.dead_mlp_dim,
        med_sel_in=cfg.med_sel_in,
        masked_norm_sizes=tuple(cfg.masked_norm_sizes),
    )
    return HSam(encoder, prompt, dec1, dec2)
