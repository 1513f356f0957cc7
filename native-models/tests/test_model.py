"""Numerics the official code defines and our modules must reproduce."""

import math

import torch
from torch.nn import functional as F

from hsam import build_hsam, make_config
from hsam.checkpoint import load_official
from hsam.modeling.image_encoder import window_partition, window_unpartition
from hsam.modeling.transformer import MaskedAttention, TwoWayBlock


def test_released_cmattn_reduces_to_doubling(tiny_official):
    """Run the released CMAttn branch on our (dead) modules: its output is
    softmax over a single channel, i.e. exactly 1, so src + src * m == 2 src."""
    cfg, sam, hsam = tiny_official
    model, _ = load_official(sam, hsam, "tiny", 224)
    d2 = model.mask_decoder2
    b, n, g = 2, cfg.num_outputs, cfg.grid
    affinity = torch.randn(b, n, g * g) * 10  # token . pixel affinity, [B, N, HW]
    with torch.no_grad():
        m = d2.self_attn(affinity, affinity, affinity)
        m = d2.norm1(m)
        m = d2.self_attn2(m, m, m)
        m = m + d2.mlp(m)
        m = d2.norm2(m)
        m = d2.med_sel(m.transpose(-2, -1))  # [B, HW, 1]
        m = m.transpose(-1, -2).reshape(b, -1, g, g).softmax(dim=1)
    assert m.shape == (b, 1, g, g)
    src = torch.randn(b, cfg.transformer_dim, g, g)
    assert torch.equal(src + src * m, 2 * src)


def test_prior_multiplies_softmaxed_weights_broadcast_over_heads():
    torch.manual_seed(0)
    att = MaskedAttention(32, 8).eval()
    n, hw = 9, 196
    tokens, pixels = torch.randn(2, n, 32), torch.randn(2, hw, 32)
    prior = torch.rand(2, n, hw)
    with torch.no_grad():
        # token -> image: A[h,n,p] *= P[n,p] after softmax, no renormalisation.
        a = att._weights(tokens, pixels)
        ref = att._output(a * torch.repeat_interleave(prior.unsqueeze(1), 8, dim=1), pixels)
        assert torch.allclose(att(tokens, pixels, pixels, prior), ref, atol=1e-6)
        # image -> token: A[h,p,n] *= P[n,p].
        a = att._weights(pixels, tokens)
        ref = att._output(a * prior.transpose(1, 2).unsqueeze(1), tokens)
        assert torch.allclose(att(pixels, tokens, tokens, prior), ref, atol=1e-6)
        # The multiply really happens (the rows no longer sum to 1) ...
        plain = att._output(att._weights(tokens, pixels), pixels)
        assert (att(tokens, pixels, pixels, prior) - plain).abs().max() > 1e-3
        # ... but not for token->image at key lengths other than 1024/196 (released behaviour).
        px = torch.randn(2, 256, 32)
        p256 = torch.rand(2, n, 256)
        assert torch.allclose(att(tokens, px, px, p256), att._output(att._weights(tokens, px), px), atol=1e-7)


def _ref_block(blk: TwoWayBlock, q, k, qpe, kpe, first: bool):
    """HSAM.md section 1, 'Decoder blocks', written out independently."""

    def attn(a, x, y, z):
        return a(x, y, z)

    q = blk.norm2(q + attn(blk.cross_attn_token_to_image, q + qpe, k + kpe, k))
    if first:
        q = attn(blk.self_attn, q, q, q)
    else:
        q = q + attn(blk.self_attn, q + qpe, q + qpe, q)
    q = blk.norm1(q)
    q = blk.norm3(q + blk.mlp.lin2(F.relu(blk.mlp.lin1(q))))
    k = blk.norm4(k + attn(blk.cross_attn_image_to_token, k + kpe, q + qpe, q))
    return q, k


def test_block_order_cross_attention_before_self_attention():
    torch.manual_seed(0)
    for first in (True, False):
        blk = TwoWayBlock(64, 8, 128, 2, skip_first_layer_pe=first, masked=False).eval()
        q, qpe, k, kpe = torch.randn(1, 5, 64), torch.randn(1, 5, 64), torch.randn(1, 49, 64), torch.randn(1, 49, 64)
        with torch.no_grad():
            got = blk(q, k, qpe, kpe)
            want = _ref_block(blk, q, k, qpe, kpe, first)
        assert torch.allclose(got[0], want[0], atol=1e-6) and torch.allclose(got[1], want[1], atol=1e-6)
        # SAM's order (self-attention first) gives a different result.
        with torch.no_grad():
            sq = blk.norm1(blk.self_attn(q, q, q) if first else q + blk.self_attn(q + qpe, q + qpe, q))
            sq = blk.norm2(sq + blk.cross_attn_token_to_image(sq + qpe, k + kpe, k))
        assert not torch.allclose(sq, got[0], atol=1e-3)


def test_prior_resize_is_mean_of_rows_4i_plus_1_and_2():
    x = torch.randn(1, 9, 128, 128)
    got = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    rows = (x[:, :, 1::4] + x[:, :, 2::4]) / 2
    want = (rows[..., 1::4] + rows[..., 2::4]) / 2
    assert torch.allclose(got, want, atol=1e-6)


def test_positional_encoding_formula():
    model = build_hsam(make_config("tiny"))
    pe = model.prompt_encoder.dense_pe()[0]
    gmat = model.prompt_encoder.pe_layer.positional_encoding_gaussian_matrix
    g = 14
    i, j = 3, 11
    c = torch.tensor([2 * (j + 0.5) / g - 1, 2 * (i + 0.5) / g - 1])  # x first
    p = 2 * math.pi * (c @ gmat)
    assert torch.allclose(pe[:, i, j], torch.cat([torch.sin(p), torch.cos(p)]), atol=1e-5)


def test_window_partition_pads_bottom_right_and_round_trips():
    x = torch.randn(2, 14, 14, 4)
    w, padded = window_partition(x, 8)
    assert padded == (16, 16) and w.shape == (2 * 4, 8, 8, 4)
    assert torch.equal(w[0], x[0, :8, :8])  # row-major: first window is top-left
    assert torch.equal(w[1, :, :6], x[0, :8, 8:14]) and torch.count_nonzero(w[1, :, 6:]) == 0
    assert torch.equal(window_unpartition(w, 8, padded, (14, 14)), x)


def test_test_time_output_averages_logits_then_argmax(tiny_official):
    cfg, sam, hsam = tiny_official
    model, _ = load_official(sam, hsam, "tiny", 224)
    with torch.no_grad():
        out = model(torch.rand(1, 3, 224, 224))
    up = F.interpolate(out["logits1"], size=(224, 224), mode="bilinear", align_corners=False)
    assert out["logits1"].shape == (1, 9, 56, 56) and out["logits2"].shape == (1, 9, 224, 224)
    assert torch.allclose(out["logits"], (up + out["logits2"]) / 2)
    assert torch.equal(out["labels"], out["logits"].softmax(1).argmax(1).to(torch.uint8))
    assert out["labels"].dtype == torch.uint8


def test_stage2_embedding_is_doubled_sum():
    """decode() feeds 2 * (E + dense) to stage 2: scaling E by 2 and zeroing
    dense must leave stage 2's input unchanged."""
    torch.manual_seed(0)
    model = build_hsam(make_config("tiny")).eval()
    seen = []
    model.mask_decoder2.register_forward_hook(lambda m, inp, out: seen.append(inp[0].clone()))
    emb = torch.randn(1, 128, 14, 14)
    with torch.no_grad():
        model.decode(emb)
    dense = model.prompt_encoder.dense_embedding()
    assert torch.allclose(seen[0], 2 * (emb + dense))
