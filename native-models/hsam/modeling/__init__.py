"""The network: SAM's ViT encoder with LoRA, the prompt-free prompt encoder, the stage-1 mask
decoder, the stage-2 hierarchical decoder and HSam, which joins them (as segment-anything's
modeling/). Conversion, export, quantization, data, training and the CLI live beside it."""

from .model import HSam

__all__ = ["HSam"]
