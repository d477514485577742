"""PyTorch reference timings for the vitlens benchmarks, on the same machine and in the same run.

timm is not installed here, so the ViT is written out in plain torch exactly as timm's
VisionTransformer computes it (pre-norm blocks, fused qkv, exact GELU, class token pooling).
Prints one JSON object: median milliseconds per measured configuration.

usage: python3 bench/torch_vit.py '{"dim":192,"depth":12,"heads":3,"patch":16,"img":224,"classes":1000,
                                    "batches":[1,8],"reps":10,"modes":["fwd","fwdbwd","rollout","gradrollout"]}'
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg.get("threads", 2))
torch.manual_seed(0)
D, L, H, P, IMG, C = cfg["dim"], cfg["depth"], cfg["heads"], cfg["patch"], cfg["img"], cfg["classes"]
hd = D // H
N = 1 + (IMG // P) ** 2


def lin(o, i):
    return (torch.randn(o, i) / i ** 0.5, torch.randn(o) * 0.02)


params = {
    "pe": (torch.randn(D, 3, P, P) / (3 * P * P) ** 0.5, torch.zeros(D)),
    "cls": torch.randn(1, 1, D) * 0.02,
    "pos": torch.randn(1, N, D) * 0.02,
    "blocks": [
        {"qkv": lin(3 * D, D), "proj": lin(D, D), "fc1": lin(4 * D, D), "fc2": lin(D, 4 * D)}
        for _ in range(L)
    ],
    "head": lin(C, D),
}
ln_w, ln_b = torch.ones(D), torch.zeros(D)


def forward(x, keep_attn=None):
    B = x.shape[0]
    z = F.conv2d(x, params["pe"][0], params["pe"][1], stride=P).flatten(2).transpose(1, 2)
    z = torch.cat([params["cls"].expand(B, -1, -1), z], 1) + params["pos"]
    for blk in params["blocks"]:
        y = F.layer_norm(z, (D,), ln_w, ln_b, 1e-6)
        qkv = F.linear(y, *blk["qkv"]).reshape(B, N, 3, H, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = ((q * hd ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        if keep_attn is not None:
            if a.requires_grad:
                a.retain_grad()
            keep_attn.append(a)
        o = (a @ v).transpose(1, 2).reshape(B, N, D)
        z = z + F.linear(o, *blk["proj"])
        y = F.layer_norm(z, (D,), ln_w, ln_b, 1e-6)
        z = z + F.linear(F.gelu(F.linear(y, *blk["fc1"])), *blk["fc2"])
    f = F.layer_norm(z[:, 0], (D,), ln_w, ln_b, 1e-6)
    return F.linear(f, *params["head"])


def rollout(attns, discard=0.9, fusion="max"):
    # vit-explain's rollout (per image), including its post-processing
    res = torch.eye(N)
    for a in attns:
        f = a.max(dim=1)[0] if fusion == "max" else a.mean(dim=1)
        flat = f.view(f.size(0), -1)
        _, idx = flat.topk(int(flat.size(-1) * discard), -1, False)
        idx = idx[idx != 0]
        flat[0, idx] = 0
        I = torch.eye(N)
        a2 = (f + 1.0 * I) / 2
        a2 = a2 / a2.sum(dim=-1)
        res = torch.matmul(a2, res)
    mask = res[0, 0, 1:]
    w = int(mask.size(-1) ** 0.5)
    mask = mask.reshape(w, w).numpy()
    return mask / mask.max()


def grad_rollout(attns, grads, discard=0.9):
    res = torch.eye(N)
    with torch.no_grad():
        for a, g in zip(attns, grads):
            f = (a * g).mean(dim=1)
            f[f < 0] = 0
            flat = f.view(f.size(0), -1)
            _, idx = flat.topk(int(flat.size(-1) * discard), -1, False)
            flat[0, idx] = 0
            I = torch.eye(N)
            a2 = (f + 1.0 * I) / 2
            a2 = a2 / a2.sum(dim=-1)
            res = torch.matmul(a2, res)
    mask = res[0, 0, 1:]
    w = int(mask.size(-1) ** 0.5)
    mask = mask.reshape(w, w).numpy()
    return mask / mask.max()


def run(mode, B):
    x = torch.randn(B, 3, IMG, IMG)
    if mode == "fwd":
        with torch.no_grad():
            forward(x)
    elif mode == "fwdbwd":
        x.requires_grad_(True)
        out = forward(x)
        out[:, 0].sum().backward()
    elif mode == "rollout":
        with torch.no_grad():
            attns = []
            forward(x, attns)
            rollout(attns)
    elif mode == "gradrollout":
        x.requires_grad_(True)
        attns = []
        out = forward(x, attns)
        out[:, 0].sum().backward()
        grad_rollout(attns, [a.grad for a in attns])


result = {}
for mode in cfg["modes"]:
    for B in cfg["batches"]:
        if mode in ("rollout", "gradrollout") and B != 1:
            continue
        run(mode, B)
        times = []
        for _ in range(cfg["reps"]):
            t = time.perf_counter()
            run(mode, B)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        result[f"{mode}/b{B}"] = times[len(times) // 2]
print(json.dumps(result))
