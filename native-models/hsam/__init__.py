"""H-SAM (CVPR 2024) re-implemented from docs/HSAM.md for the H-SAM Workstation.

Modules: modeling/ (the network: image_encoder (SAM ViT + LoRA), prompt_encoder (prompt-free),
mask_decoder (stage 1), hierarchical_decoder (stage 2), model (HSam)),
build (size registry), checkpoint (official <-> ours), export (ONNX),
quantize (int8), card (model.json), data/train (few-shot fine-tuning), model_folder (writes a model
folder), commands/ (one module per CLI command).
"""

from .build import SIZES, HSamConfig, build_hsam, make_config
from .modeling.model import HSam

__all__ = ["SIZES", "HSamConfig", "HSam", "build_hsam", "make_config"]
