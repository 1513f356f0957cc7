"""Official checkpoint layout, strict loading, resizing and LoRA folding."""

import numpy as np
import pytest
import torch

from hsam import make_config
from hsam.checkpoint import (
    load_official,
    load_ours,
    official_to_ours,
    random_official,
    resize_pos_embed,
    resize_rel_pos,
    save_ours,
)


@pytest.fixture(scope="module")
def vit_b_official():
    cfg = make_config("vit_b", img_size=512, num_classes=8)
    return cfg, *random_official(cfg, rank=5, seed=0)


def test_vit_b_hsam_checkpoint_matches_published_layout(vit_b_official):
    _, sam, hsam = vit_b_official
    # HSAM.md section 3: 489 keys, 24.01M values for vit_b, N = 9, rank 5.
    assert len(hsam) == 489
    assert round(sum(v.numel() for v in hsam.values()) / 1e6, 2) == 24.01
    groups = {"w_": 0, "prompt_encoder.": 0, "prompt_encoder2.": 0, "mask_decoder.": 0, "mask_decoder2.": 0}
    for k in hsam:
        groups[next(g for g in groups if k.startswith(g))] += 1
    assert groups == {
        "w_": 48,
        "prompt_encoder.": 24,
        "prompt_encoder2.": 24,
        "mask_decoder.": 150,
        "mask_decoder2.": 243,
    }
    shapes = {
        "w_a_000": (5, 768),
        "w_b_023": (768, 5),
        "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix": (2, 128),
        "prompt_encoder.no_mask_embed.weight": (1, 256),
        "mask_decoder.iou_token.weight": (1, 256),
        "mask_decoder.mask_tokens.weight": (9, 256),
        "mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight": (128, 256),
        "mask_decoder.transformer.layers.1.cross_attn_image_to_token.out_proj.weight": (256, 128),
        "mask_decoder.transformer.layers.0.self_attn.q_proj.weight": (256, 256),
        "mask_decoder.transformer.layers.0.mlp.lin1.weight": (2048, 256),
        "mask_decoder.output_upscaling.0.weight": (256, 64, 2, 2),
        "mask_decoder.output_upscaling.3.weight": (64, 32, 2, 2),
        "mask_decoder.output_hypernetworks_mlps.8.layers.2.weight": (32, 256),
        "mask_decoder2.mask_tokens.weight": (9, 256),
        "mask_decoder2.transformer2.layers.0.cross_attn_token_to_image.q_proj.weight": (256, 256),
        "mask_decoder2.transformer2.layers.0.cross_attn_token_to_image.norm1.weight": (196,),
        "mask_decoder2.transformer2.layers.1.cross_attn_image_to_token.norm2.weight": (9,),
        "mask_decoder2.transformer2.layers.1.cross_attn_image_to_token.norm3.weight": (1024,),
        "mask_decoder2.transformer2.final_attn_token_to_image.q_proj.weight": (128, 256),
        "mask_decoder2.skip_connect.0.weight": (64, 32, 2, 2),
        "mask_decoder2.skip_connect.3.weight": (32, 16, 2, 2),
        "mask_decoder2.output_hypernetworks_mlps2.8.layers.4.weight": (16, 256),
        "mask_decoder2.med_sel.0.weight": (1, 9),
        "mask_decoder2.self_attn.q_proj.weight": (1024, 1024),
        "mask_decoder2.mlp.lin1.weight": (2048, 1024),
    }
    for k, s in shapes.items():
        assert tuple(hsam[k].shape) == s, k
    assert not any(k.startswith("mask_decoder2.iou_token") for k in hsam)
    # SAM side, as in sam_vit_b_01ec64.pth.
    enc = [k for k in sam if k.startswith("image_encoder.")]
    assert len(enc) == 177
    assert tuple(sam["image_encoder.pos_embed"].shape) == (1, 64, 64, 768)
    assert tuple(sam["image_encoder.blocks.0.attn.qkv.weight"].shape) == (2304, 768)
    assert tuple(sam["image_encoder.blocks.2.attn.rel_pos_h"].shape) == (127, 64)
    assert tuple(sam["image_encoder.blocks.3.attn.rel_pos_w"].shape) == (27, 64)


def test_vit_b_loads_strictly_at_512(vit_b_official):
    _, sam, hsam = vit_b_official
    model, cfg = load_official(sam, hsam, "vit_b", 512, num_classes=8)
    sd = model.state_dict()
    assert tuple(sd["image_encoder.pos_embed"].shape) == (1, 32, 32, 768)
    assert tuple(sd["image_encoder.blocks.11.attn.rel_pos_h"].shape) == (63, 64)
    assert tuple(sd["image_encoder.blocks.10.attn.rel_pos_h"].shape) == (27, 64)
    # Trainable part as HSAM.md counts it: LoRA + prompt encoder + both decoders.
    dec = sum(v.numel() for k, v in sd.items() if not k.startswith("image_encoder."))
    lora = sum(v.numel() for k, v in hsam.items() if k.startswith("w_"))
    assert round((dec + lora) / 1e6, 1) == 24.0


def test_strict_loading_rejects_missing_unexpected_and_mismatched(tiny_official):
    cfg, sam, hsam = tiny_official
    load_official(sam, hsam, "tiny", 224)  # the intact pair loads
    missing = {k: v for k, v in hsam.items() if k != "mask_decoder2.med_sel.0.bias"}
    with pytest.raises(RuntimeError, match="Missing key"):
        load_official(sam, missing, "tiny", 224)
    extra = dict(hsam, **{"mask_decoder2.extra.weight": torch.zeros(1)})
    with pytest.raises(RuntimeError, match="Unexpected key"):
        load_official(sam, extra, "tiny", 224)
    stray = dict(hsam, **{"something_else": torch.zeros(1)})
    with pytest.raises(ValueError, match="unexpected keys"):
        load_official(sam, stray, "tiny", 224)
    twin = dict(hsam)
    twin["prompt_encoder2.no_mask_embed.weight"] = hsam["prompt_encoder.no_mask_embed.weight"] + 1
    with pytest.raises(ValueError, match="twin"):
        load_official(sam, twin, "tiny", 224)
    no_lora = {k: v for k, v in hsam.items() if k != "w_b_007"}
    with pytest.raises(ValueError, match="LoRA keys"):
        load_official(sam, no_lora, "tiny", 224)
    with pytest.raises(ValueError, match="num-classes"):
        load_official(sam, hsam, "tiny", 224, num_classes=1)


def test_sam_prompt_and_decoder_keys_are_ignored(tiny_official):
    cfg, sam, hsam = tiny_official
    assert "mask_decoder.mask_tokens.weight" in sam  # SAM's own 4 tokens ...
    sd = official_to_ours(sam, hsam, cfg)
    assert sd["mask_decoder.mask_tokens.weight"].shape[0] == 9  # ... are replaced by H-SAM's


def test_pos_embed_resize_is_bilinear_half_pixel():
    pos = torch.randn(1, 64, 64, 8)
    out = resize_pos_embed(pos, 32)
    # For 64 -> 32, bilinear with align_corners=False samples at 2i + 0.5: the 2x2 mean.
    pooled = pos.reshape(1, 32, 2, 32, 2, 8).mean(dim=(2, 4))
    assert torch.allclose(out, pooled, atol=1e-6)
    out14 = resize_pos_embed(pos, 14)
    ref = _linear_np(_linear_np(pos[0].numpy(), 14, axis=0), 14, axis=1)
    assert np.abs(out14[0].numpy() - ref).max() < 5e-5  # float32 vs float64 rounding, two passes


def _linear_np(a: np.ndarray, n: int, axis: int) -> np.ndarray:
    """HSAM.md: src = max(0, (d + 0.5) * L / n - 0.5), linear between floor and floor + 1."""
    length = a.shape[axis]
    a = np.moveaxis(a, axis, 0).astype(np.float64)
    out = []
    for d in range(n):
        src = max(0.0, (d + 0.5) * length / n - 0.5)
        i0 = int(np.floor(src))
        i1 = min(i0 + 1, length - 1)
        lam = src - i0
        out.append((1 - lam) * a[i0] + lam * a[i1])
    return np.moveaxis(np.stack(out), 0, axis)


@pytest.mark.parametrize("rows", [63, 27])
def test_rel_pos_resize_matches_spec_formula(rows):
    table = torch.randn(127, 64)
    out = resize_rel_pos(table, rows)
    assert out.shape == (rows, 64)
    # PyTorch computes the source coordinate in float32: relative error ~1e-5.
    err = np.abs(out.numpy() - _linear_np(table.numpy(), rows, axis=0)).max()
    assert err <= 1e-5 * np.abs(table.numpy()).max()
    # and it is a real resize, not a copy or a crop
    assert np.abs(out.numpy() - table.numpy()[:rows]).max() > 0.1


def test_lora_folding_equals_unfolded_forward(tiny_official):
    cfg, sam, hsam = tiny_official
    folded, _ = load_official(sam, hsam, "tiny", 224, fold=True)
    unfolded, _ = load_official(sam, hsam, "tiny", 224, fold=False)
    bare, _ = load_official(
        sam, {k: (torch.zeros_like(v) if k.startswith("w_b") else v) for k, v in hsam.items()}, "tiny", 224
    )
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        e_f, e_u, e_0 = folded.encode(x), unfolded.encode(x), bare.encode(x)
        assert (e_f - e_u).abs().max() < 1e-5
        assert (e_f - e_0).abs().max() > 1e-3  # LoRA actually changes the output
        unfolded.image_encoder.fold_lora()
        assert not unfolded.image_encoder.lora_parameters()
        assert (unfolded.encode(x) - e_f).abs().max() < 1e-5


def test_lora_rank_is_read_from_tensors():
    cfg = make_config("tiny", num_classes=1)
    sam, hsam = random_official(cfg, rank=3, seed=2)
    model, cfg2 = load_official(sam, hsam, "tiny", 224, fold=False)
    assert cfg2.num_outputs == 2
    assert model.image_encoder.blocks[0].attn.lora_q_a.shape == (3, 128)


def test_our_checkpoint_round_trip(tmp_path, tiny_official):
    cfg, sam, hsam = tiny_official
    model, cfg = load_official(sam, hsam, "tiny", 224)
    save_ours(model, cfg, str(tmp_path / "m.pt"), meta={"name": "x"})
    again, cfg2, meta = load_ours(str(tmp_path / "m.pt"))
    assert cfg2 == cfg and meta["name"] == "x"
    for (k, a), (k2, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert k == k2 and torch.equal(a, b)
    with pytest.raises(ValueError):
        torch.save({"format": "other"}, str(tmp_path / "bad.pt"))
        load_ours(str(tmp_path / "bad.pt"))


def test_vit_b_official_224_layout_converts_strictly():
    """An official checkpoint trained at --img-size 224 (MaskDecoder2_224): its dead CMAttn is
    196 wide with 7 heads and an MLP hidden width of 2048, literal constants of the official code."""
    cfg = make_config("vit_b", img_size=224, num_classes=8)
    assert (cfg.dead_width, cfg.dead_heads, cfg.dead_mlp_dim) == (196, 7, 2048)
    sam, hsam = random_official(cfg, rank=5, seed=4)
    for k, s in {
        "mask_decoder2.self_attn.q_proj.weight": (196, 196),
        "mask_decoder2.self_attn2.out_proj.weight": (196, 196),
        "mask_decoder2.norm1.weight": (196,),
        "mask_decoder2.mlp.lin1.weight": (2048, 196),
        "mask_decoder2.mlp.lin2.weight": (196, 2048),
        "mask_decoder2.med_sel.0.weight": (1, 9),
    }.items():
        assert tuple(hsam[k].shape) == s, k
    model, got = load_official(sam, hsam, "vit_b", 224, num_classes=8)  # strict
    assert (got.dead_width, got.dead_heads, got.dead_mlp_dim) == (196, 7, 2048)
    assert model.mask_decoder2.self_attn.num_heads == 7
    assert tuple(model.state_dict()["image_encoder.pos_embed"].shape) == (1, 14, 14, 768)
    with torch.no_grad():
        out = model.decode(model.encode(torch.rand(1, 3, 224, 224)))
    assert tuple(out["logits"].shape) == (1, 9, 224, 224)


def test_widths_come_from_the_tensors_not_a_formula(vit_b_official):
    """512: 1024 wide, 8 heads, MLP 2048 (= 2 x 1024 only by coincidence); a width the official
    code never builds is refused with a sentence, not a shape error."""
    _, sam, hsam = vit_b_official
    _, cfg = load_official(sam, hsam, "vit_b", 512, num_classes=8)
    assert (cfg.dead_width, cfg.dead_heads, cfg.dead_mlp_dim) == (1024, 8, 2048)
    odd = dict(hsam)
    odd["mask_decoder2.norm1.weight"] = torch.ones(300)
    with pytest.raises(ValueError, match="300 wide"):
        load_official(sam, odd, "vit_b", 512, num_classes=8)


def test_configs_written_before_dead_mlp_dim_load_as_built():
    from hsam.build import HSamConfig

    d = make_config("tiny").to_dict()
    del d["dead_mlp_dim"]
    assert HSamConfig.from_dict(d).dead_mlp_dim == 2 * d["dead_width"]
