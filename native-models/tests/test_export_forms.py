"""Export forms (export_forms.py): the same function as the reference modules."""

import copy

import onnx
import torch
from torch import nn

from hsam.checkpoint import load_official
from hsam.export_forms import for_export
from hsam.modeling.common import LayerNorm2d
from hsam.modeling.image_encoder import Attention, Block


def test_folded_rel_pos_equals_the_decomposed_additions():
    torch.manual_seed(0)
    # A non-square grid, so a swapped row/column one-hot cannot pass.
    attn = Attention(dim=32, num_heads=4, input_size=(3, 5)).eval()
    with torch.no_grad():
        attn.rel_pos_h.normal_()
        attn.rel_pos_w.normal_()
    x = torch.randn(2, 3, 5, 32)
    folded = copy.deepcopy(attn)
    folded.fused_rel_pos = True
    with torch.no_grad():
        ref, out = attn(x), folded(x)
    assert ref.abs().max() > 0.1
    assert torch.allclose(out, ref, atol=1e-5, rtol=0)


def test_windowed_block_projecting_real_tokens_equals_the_padded_reference():
    """Pad tokens take the qkv bias, only the real queries attend, and the output projection needs
    no crop: the same block."""
    torch.manual_seed(0)
    block = Block(dim=32, num_heads=4, mlp_ratio=2.0, window_size=4, input_size=(4, 4)).eval()
    with torch.no_grad():
        for p in (block.attn.rel_pos_h, block.attn.rel_pos_w, block.attn.qkv.bias, block.attn.proj.bias):
            p.normal_()
    form = copy.deepcopy(block)
    form.project_real_tokens = True
    # Padded on both axes by different amounts (6 -> 8, 9 -> 12: four query groups), a grid
    # smaller than one window (3 -> 4), and a grid needing none.
    for shape in ((2, 6, 9, 32), (1, 3, 5, 32), (1, 8, 4, 32)):
        x = torch.randn(*shape)
        with torch.no_grad():
            ref, out = block(x), form(x)
        assert torch.allclose(out, ref, atol=1e-5, rtol=0)


def test_a_norm_after_a_convolution_takes_its_input_centred():
    """The convolution's weights lose their mean over output channels, so its output arrives with
    zero channel mean and the norm skips that step: the same values, for a plain, a 3x3 padded, a
    bias-free and a transposed convolution."""
    torch.manual_seed(0)
    for conv in (
        nn.Conv2d(6, 8, 1),
        nn.Conv2d(6, 8, 3, padding=1),
        nn.Conv2d(6, 8, 1, bias=False),
        nn.ConvTranspose2d(6, 8, 2, stride=2),
    ):
        seq = nn.Sequential(conv, LayerNorm2d(8), nn.GELU()).eval()
        with torch.no_grad():
            seq[1].weight.uniform_(0.5, 1.5)
            seq[1].bias.normal_()
            if conv.bias is not None:
                conv.bias.normal_()  # a channel mean far from 0, so a skipped subtraction shows
        form = for_export(seq)
        assert form[1].centered_input and not seq[1].centered_input
        x = torch.randn(2, 6, 5, 7) * 3 + 1
        with torch.no_grad():
            assert form[0](x).mean(1).abs().max() < 1e-5 < seq[0](x).mean(1).abs().max()
            ref, out = seq(x), form(x)
        assert ref.abs().max() > 0.5
        assert torch.allclose(out, ref, atol=1e-5, rtol=0)


def test_export_copy_matches_the_model_and_leaves_it_alone(tiny_official):
    _, sam, hsam = tiny_official
    model, _ = load_official(sam, hsam, "tiny", 224)
    model.eval()
    exported = for_export(model)
    assert not any(getattr(m, "fused_rel_pos", False) for m in model.modules())
    assert all(m.fused_rel_pos for m in exported.modules() if isinstance(m, Attention))
    assert all(m.project_real_tokens for m in exported.modules() if isinstance(m, Block))
    assert all(m.centered_input for m in exported.modules() if isinstance(m, LayerNorm2d))
    assert not any(m.centered_input for m in model.modules() if isinstance(m, LayerNorm2d))
    torch.manual_seed(1)
    image = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        ref, out = model.encode(image), exported.encode(image)
        assert torch.allclose(out, ref, atol=1e-4, rtol=0)
        ref_logits, out_logits = model.decode(ref)["logits"], exported.decode(ref)["logits"]
    assert ref_logits.abs().max() > 0.1
    assert torch.allclose(out_logits, ref_logits, atol=1e-4, rtol=0)


def test_encoder_softmax_reads_the_product_directly(tmp_path, tiny_official, monkeypatch):
    """Folded: every attention softmax takes the q'.k' product itself (through reshapes at most);
    the reference form has the two rel-pos additions in between. No Loop (the one-hot keys are constants)."""
    from hsam import export

    _, sam, hsam = tiny_official
    model, _ = load_official(sam, hsam, "tiny", 224)

    def softmax_inputs(out: str) -> list:
        g = onnx.load(export.export_onnx(copy.deepcopy(model), out)["encoder"]).graph
        assert "Loop" not in [n.op_type for n in g.node]
        producer = {o: n for n in g.node for o in n.output}
        found = []
        for n in g.node:
            if n.op_type == "Softmax":
                p = producer[n.input[0]]
                while p.op_type == "Reshape":
                    p = producer[p.input[0]]
                found.append(p.op_type)
        return found

    depth = sum(1 for m in model.modules() if isinstance(m, Attention))
    # A windowed block whose grid is not a multiple of the window has one softmax per query group.
    folded = softmax_inputs(str(tmp_path / "folded"))
    # The tiny model pads its 14x14 grid to 16x16 for 8x8 windows: the windowed blocks gather the
    # real tokens window by window and never cut the padded grid into windows (an 8-D transpose).
    g = onnx.load(str(tmp_path / "folded" / "encoder.onnx")).graph
    ranks = [len(a.ints) for n in g.node if n.op_type == "Transpose" for a in n.attribute if a.name == "perm"]
    assert ranks and max(ranks) <= 5
    assert set(folded) == {"MatMul"} and len(folded) >= depth
    monkeypatch.setattr(export, "for_export", lambda m: m)
    assert softmax_inputs(str(tmp_path / "reference")) == ["Add"] * depth
