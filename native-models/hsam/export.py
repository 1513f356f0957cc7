"""ONNX export: two graphs so the encoder runs once per slice and the
decoders run on cached embeddings.

  encoder.onnx  image float32 [B,3,S,S] -> embeddings float32 [B,C,S/16,S/16]
  decoder.onnx  embeddings -> logits float32 [B,N,S,S] (test-time logits:
                (bilinear-upsampled stage-1 + stage-2)/2, before softmax). No labels
                output: the app takes the argmax after resizing the logits to the slice
                (postprocess.onnx), and onnxruntime runs every node of a graph whatever
                output is fetched: an ArgMax here cost the demo's decoder 1.5 ms a batch
                of 4 (7 %) and ViT-B's 1.5 ms a slice for nothing. (The softmax before it
                went earlier: ~25 % of ViT-B's decoder time.)
  preprocess.onnx, postprocess.onnx  the app's slice steps around them (slice_graphs.py)

Opset 17, dynamic batch, LoRA folded, the dead CMAttn branch not traced,
PE / dense embedding / tokens baked in as constants, the modules in their
export forms (export_forms.py: the encoder's rel-pos terms folded into q.k).
Prior multiplication is broadcast across heads (repeat_interleave breaks ORT
shape inference).
"""

from __future__ import annotations

import os
import warnings
from typing import Dict, List

import onnx
import torch
from torch import nn

from .export_forms import for_export
from .modeling.model import HSam
from .slice_graphs import write_slice_graphs

OPSET = 17


class EncoderGraph(nn.Module):
    def __init__(self, model: HSam) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.model.encode(image)


class DecoderGraph(nn.Module):
    def __init__(self, model: HSam) -> None:
        super().__init__()
        self.model = model
        with torch.no_grad():
            self.register_buffer("pe", model.prompt_encoder.dense_pe().clone())
            self.register_buffer("dense", model.prompt_encoder.dense_embedding().clone())

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.model.decode(embeddings, pe=self.pe, dense=self.dense)["logits"]


def export_onnx(model: HSam, out_dir: str) -> Dict[str, str]:
    """Write encoder.onnx and decoder.onnx into ``out_dir`` and check them.

    Returns the two paths. Raises if onnx.checker rejects a graph or its
    declared inputs/outputs differ from the contract above.
    """
    os.makedirs(out_dir, exist_ok=True)
    model = model.eval()
    model.image_encoder.fold_lora()
    # Traced in the forms onnxruntime runs fastest (export_forms.py); the same function.
    model = for_export(model)
    s = model.img_size
    g = s // 16
    c = model.prompt_encoder.embed_dim
    enc_path = os.path.join(out_dir, "encoder.onnx")
    dec_path = os.path.join(out_dir, "decoder.onnx")
    image = torch.zeros(1, 3, s, s)
    emb = torch.zeros(1, c, g, g)
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about the shape-dependent branches (window padding,
        # the prior's key-length condition); they depend only on S and N,
        # which are fixed per graph, never on the dynamic batch.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            EncoderGraph(model),
            (image,),
            enc_path,
            opset_version=OPSET,
            input_names=["image"],
            output_names=["embeddings"],
            dynamic_axes={"image": {0: "batch"}, "embeddings": {0: "batch"}},
            do_constant_folding=True,
        )
        torch.onnx.export(
            DecoderGraph(model),
            (emb,),
            dec_path,
            opset_version=OPSET,
            input_names=["embeddings"],
            output_names=["logits"],
            dynamic_axes={"embeddings": {0: "batch"}, "logits": {0: "batch"}},
            do_constant_folding=True,
        )
    n = model.mask_decoder.num_mask_tokens
    # The tracer leaves spatial output dims symbolic; they are fixed by S.
    set_output_dims(enc_path, {"embeddings": ["batch", c, g, g]})
    set_output_dims(dec_path, {"logits": ["batch", n, s, s]})
    check_graph(enc_path, {"image": ("float32", ["batch", 3, s, s])}, {"embeddings": ("float32", ["batch", c, g, g])})
    check_graph(
        dec_path,
        {"embeddings": ("float32", ["batch", c, g, g])},
        {"logits": ("float32", ["batch", n, s, s])},
    )
    return {"encoder": enc_path, "decoder": dec_path, **write_slice_graphs(out_dir)}


def set_output_dims(path: str, dims: Dict[str, List]) -> None:
    m = onnx.load(path)
    for out in m.graph.output:
        shape = out.type.tensor_type.shape
        for d, want in zip(shape.dim, dims[out.name]):
            if isinstance(want, str):
                d.dim_param = want
            else:
                d.dim_value = want
    onnx.save(m, path)


_DTYPES = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.UINT8: "uint8", onnx.TensorProto.INT64: "int64"}


def graph_signature(path: str) -> Dict[str, Dict[str, tuple]]:
    """{'inputs': {name: (dtype, dims)}, 'outputs': {...}}; symbolic dims as names."""
    m = onnx.load(path, load_external_data=False)

    def sig(values) -> Dict[str, tuple]:
        out = {}
        for v in values:
            t = v.type.tensor_type
            dims: List = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
            out[v.name] = (_DTYPES.get(t.elem_type, str(t.elem_type)), dims)
        return out

    return {"inputs": sig(m.graph.input), "outputs": sig(m.graph.output), "opset": m.opset_import[0].version}


def check_graph(path: str, inputs: Dict[str, tuple], outputs: Dict[str, tuple]) -> None:
    onnx.checker.check_model(path)
    s = graph_signature(path)
    want = {
        "inputs": {k: (d, list(v)) for k, (d, v) in inputs.items()},
        "outputs": {k: (d, list(v)) for k, (d, v) in outputs.items()},
    }
    got = {k: {n: (d, list(v)) for n, (d, v) in s[k].items()} for k in ("inputs", "outputs")}
    if got != want:
        raise RuntimeError(f"{os.path.basename(path)}: signature {got} differs from the contract {want}")
