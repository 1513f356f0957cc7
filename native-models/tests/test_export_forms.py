"""Export forms (export_forms.py): the same function as the reference modules."""

import copy

import onnx
import torch

from hsam.checkpoint import load_official
from hsam.export_forms import for_export
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


def test_export_copy_matches_the_model_and_leaves_it_alone(tiny_official):
    _, sam, hsam = tiny_official
    model, _ = load_official(sam, hsam, "tiny", 224)
    model.eval()
    exported = for_export(model)
    assert not any(getattr(m, "fused_rel_pos", False) for m in model.modules())
    assert all(m.fused_rel_pos for m in exported.modules() if isinstance(m, Attention))
    assert all(m.project_real_tokens for m in exported.modules() if isinstance(m, Block))
    torch.manual_seed(1)
    image = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        ref, out = model.encode(image), exported.encode(image)
    assert torch.allclose(out, ref, atol=1e-4, rtol=0)


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
    assert set(folded) == {"MatMul"} and len(folded) >= depth
    monkeypatch.setattr(export, "for_export", lambda m: m)
    assert softmax_inputs(str(tmp_path / "reference")) == ["Add"] * depth
