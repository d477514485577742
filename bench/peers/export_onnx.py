"""Writes a golden case's ViT as ONNX for onnxruntime-web (bench/peers/peers.ts runs it).

The forward is bench/torch_vit.py's plain-torch timm ViT with the case's weights. One file per
batch size (the traced forward reads its shapes as Python ints, so the batch is baked in).
Needs only Debian's python3-torch (torch.onnx.export serialises without the onnx package).

usage: python3 bench/peers/export_onnx.py CASE_DIR OUT_DIR BATCH[,BATCH...]
       writes OUT_DIR/<case>_b<BATCH>.onnx
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_explain import read_safetensors  # noqa: E402
from torch_vit import ViT  # noqa: E402


class Forward(torch.nn.Module):
    def __init__(self, vit):
        super().__init__()
        self.vit = vit

    def forward(self, x):
        return self.vit.forward(x)


def main(case_dir, out_dir, batches):
    a = json.load(open(os.path.join(case_dir, "config.json")))["model_args"]
    cfg = {"dim": a["embed_dim"], "depth": a["depth"], "heads": a["num_heads"], "patch": a["patch_size"][0], "img": a["img_size"][0], "classes": a["num_classes"]}
    vit = ViT(cfg).load(read_safetensors(os.path.join(case_dir, "model.safetensors")))
    os.makedirs(out_dir, exist_ok=True)
    name = os.path.basename(os.path.normpath(case_dir))
    for B in batches:
        out = os.path.join(out_dir, f"{name}_b{B}.onnx")
        x = torch.zeros(B, a["in_chans"], cfg["img"], cfg["img"])
        with torch.no_grad():
            torch.onnx.export(Forward(vit), (x,), out, input_names=["pixels"], output_names=["logits"], opset_version=17)
        print(out)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], [int(b) for b in sys.argv[3].split(",")])
