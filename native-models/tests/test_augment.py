"""The demo's strong augmentation: one warp for image and labels, intensity on the image only."""

import numpy as np
import torch

from hsam.train import augment_strong


def test_image_and_labels_move_together_and_stay_in_range():
    s = 96
    yy, xx = torch.meshgrid(torch.arange(s), torch.arange(s), indexing="ij")
    organ = (yy - 40) ** 2 + (xx - 55) ** 2 < 15**2
    images = torch.where(organ, 0.8, 0.2).float()[None].repeat(8, 1, 1)
    labels = organ.long()[None].repeat(8, 1, 1) * 5
    a, b = augment_strong(images, labels, np.random.default_rng(3))
    assert a.shape == images.shape and b.shape == labels.shape
    assert float(a.min()) >= 0 and float(a.max()) <= 1
    assert set(b.unique().tolist()) <= {0, 5}  # nearest: no new classes
    moved = 0
    for k in range(8):
        inside, outside = a[k][b[k] == 5], a[k][(b[k] == 0) & (a[k] > 0)]
        assert inside.numel() > 100
        # the warped labels still cover the warped bright disc (intensity changes keep the contrast)
        assert float(inside.mean()) > float(outside.mean()) + 0.3
        moved += int(not torch.equal(b[k], labels[k]))
    assert moved >= 4  # p = 0.8 per sample


def test_deterministic_given_the_generator():
    images, labels = torch.rand(2, 64, 64), torch.randint(0, 9, (2, 64, 64))
    a1, b1 = augment_strong(images, labels, np.random.default_rng(7))
    a2, b2 = augment_strong(images, labels, np.random.default_rng(7))
    assert torch.equal(a1, a2) and torch.equal(b1, b2)
