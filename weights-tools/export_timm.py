#!/usr/bin/env python3
"""Export a pretrained timm Vision Transformer as a hub folder that vitlens loads.

    python export_timm.py vit_small_patch16_224.augreg_in21k_ft_in1k OUT_DIR

Writes OUT_DIR/config.json (architecture, num_classes, num_features, global_pool, model_args,
pretrained_cfg) and OUT_DIR/model.safetensors (the float32 state_dict in timm's names), the
layout of timm's folders on huggingface.co. Needs torch, timm (0.9 or newer) and safetensors:

    pip install torch timm safetensors

Written against timm's public API only (timm.create_model, model.pretrained_cfg and the
VisionTransformer attributes below, safetensors.torch.save_file). vitlens' own tests cannot
run it (timm is not installed there); `vitlens inspect OUT_DIR` checks what it wrote. Without
Python, `vitlens convert CHECKPOINT.pth OUT_DIR` converts a downloaded .pth instead.
"""
import argparse
import json
import os

import timm
import torch
from safetensors.torch import save_file


def model_args(model):
    """Keyword arguments of timm's VisionTransformer that rebuild this model's shape."""
    if not hasattr(model, 'blocks') or not hasattr(model, 'patch_embed'):
        raise SystemExit(f'{type(model).__name__} is not a timm VisionTransformer: vitlens runs only those')
    block = model.blocks[0]
    embed_dim = model.embed_dim
    args = {
        'img_size': list(model.patch_embed.img_size),
        'patch_size': list(model.patch_embed.patch_size),
        'in_chans': model.patch_embed.proj.in_channels,
        'num_classes': model.num_classes,
        'embed_dim': embed_dim,
        'depth': len(model.blocks),
        'num_heads': block.attn.num_heads,
        'mlp_ratio': block.mlp.fc1.out_features / embed_dim,
        'qkv_bias': block.attn.qkv.bias is not None,
        'class_token': getattr(model, 'cls_token', None) is not None,
        'global_pool': model.global_pool,
        'fc_norm': not isinstance(getattr(model, 'fc_norm', torch.nn.Identity()), torch.nn.Identity),
    }
    if getattr(model, 'num_reg_tokens', 0):
        args['reg_tokens'] = model.num_reg_tokens
    if getattr(model, 'no_embed_class', False):
        args['no_embed_class'] = True
    if not isinstance(getattr(block, 'ls1', torch.nn.Identity()), torch.nn.Identity):
        args['init_values'] = 1e-5  # enables LayerScale; the trained gammas are in the weights
    if not isinstance(getattr(model, 'norm_pre', torch.nn.Identity()), torch.nn.Identity):
        args['pre_norm'] = True
    return args


def json_safe(d):
    """The JSON-serialisable part of a pretrained_cfg (tuples become lists)."""
    return {k: v for k, v in json.loads(json.dumps(d, default=lambda _: None)).items() if v is not None}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('name', help='timm model name, with or without a pretrained tag (e.g. deit_tiny_patch16_224.fb_in1k)')
    p.add_argument('out_dir')
    p.add_argument('--num-classes', type=int, default=None, help='0: drop the classifier (feature model); other values get an untrained head')
    a = p.parse_args()

    kwargs = {} if a.num_classes is None else {'num_classes': a.num_classes}
    model = timm.create_model(a.name, pretrained=True, **kwargs).eval()
    cfg = dict(model.pretrained_cfg)
    config = {
        'architecture': cfg.get('architecture', a.name.split('.')[0]),  # the pretrained tag stays in pretrained_cfg
        'num_classes': model.num_classes,
        'num_features': model.num_features,
        'global_pool': model.global_pool,
        'model_args': model_args(model),
        'pretrained_cfg': json_safe(cfg),
    }
    os.makedirs(a.out_dir, exist_ok=True)
    # Contiguous float32 copies: safetensors refuses views and shared storages.
    tensors = {k: v.detach().to(torch.float32).contiguous().clone() for k, v in model.state_dict().items()}
    save_file(tensors, os.path.join(a.out_dir, 'model.safetensors'), metadata={'format': 'pt'})
    with open(os.path.join(a.out_dir, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    print(f'wrote {a.out_dir}: {a.name}, {len(tensors)} tensors, {model.num_classes} classes')


if __name__ == '__main__':
    main()
