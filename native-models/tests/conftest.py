import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
torch.set_num_threads(2)


@pytest.fixture(scope="session")
def tiny_official():
    """Random tiny weights in the official two-file layout (N = 9, rank 5)."""
    from hsam import make_config
    from hsam.checkpoint import random_official

    cfg = make_config("tiny", img_size=224, num_classes=8)
    sam, hsam = random_official(cfg, rank=5, seed=1)
    return cfg, sam, hsam
