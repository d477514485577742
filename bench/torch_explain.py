"""Plain-torch equivalents of vitlens' explanation methods, for reference timings (bench/explain.ts).

Not the reference libraries (vit-explain, Transformer-MM-Explainability, the CDAM notebook,
pytorch-grad-cam, Captum are not installed here): each method is written from the definitions
in ../shared/golden/README.md on the plain-torch ViT of torch_vit.py, doing the work the
reference does (hooks = tensors kept during the forward, gradients kept with retain_grad).
Parameters are frozen and the input requires grad (no weight gradients, like vitlens), except in
`grad-rollout-params`, which lets the parameters require grad as a timm model's do under
vit-explain. Post-processing that the references do per image (vit-explain's rollouts, Abnar's
joint attention, grad-cam's scaling) runs per image on a batched forward; batch-agnostic tensor
ops run batched. Token ablation and occlusion batch their forwards (the references loop).

Mode names are the names of vitlens' methods (src/explain/registry.ts); every torch_vit.py mode
(fwd, fwdbwd, ...) is available too. Same command line and output as torch_vit.py.

  python3 bench/torch_explain.py --check ../shared/golden/micro   # compares each method with the
                                                                  # golden maps (faithfulness check)
"""
import json
import os
import struct
import sys

import numpy as np
import torch

from torch_vit import Taps, ViT, run_plan, setup, vit_modes

TARGET = 243  # a fixed class id for every image, as bench/explain.ts uses
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
BLACK = (0 - MEAN) / STD  # pixel value 0 in normalised input space


def pick(out, target):
    """(B,) entries out[b, target_b]; target is one class id or one per image."""
    if isinstance(target, int):
        return out[:, target]
    return out.gather(1, target.view(-1, 1))[:, 0]


def fuse(a, how):
    if how == "mean":
        return a.mean(dim=1)
    if how == "max":
        return a.max(dim=1)[0]
    return a.min(dim=1)[0]


def vit_explain_rollout(attns, discard_ratio, head_fusion):
    """vit_rollout.rollout for one image: attns are its blocks' (1, H, N, N) probabilities."""
    N = attns[0].size(-1)
    result = torch.eye(N)
    with torch.no_grad():
        for a in attns:
            f = fuse(a, head_fusion)
            flat = f.view(f.size(0), -1)
            _, idx = flat.topk(int(flat.size(-1) * discard_ratio), -1, False)
            idx = idx[idx != 0]  # spare the CLS->CLS entry
            flat[0, idx] = 0
            a2 = (f + 1.0 * torch.eye(N)) / 2
            a2 = a2 / a2.sum(dim=-1)  # the quirk: column j divided by row j's sum
            result = torch.matmul(a2, result)
    mask = result[0, 0, 1:]
    w = int(mask.size(-1) ** 0.5)
    mask = mask.reshape(w, w).numpy()
    return mask / np.max(mask)


def vit_explain_grad_rollout(attns, grads, discard_ratio):
    """vit_grad_rollout.grad_rollout for one image; grads in the order the hooks recorded them."""
    N = attns[0].size(-1)
    result = torch.eye(N)
    with torch.no_grad():
        for a, g in zip(attns, grads):
            f = (a * g).mean(dim=1)
            f[f < 0] = 0
            flat = f.view(f.size(0), -1)
            _, idx = flat.topk(int(flat.size(-1) * discard_ratio), -1, False)
            flat[0, idx] = 0  # index 0 not spared (commented out in the reference)
            a2 = (f + 1.0 * torch.eye(N)) / 2
            a2 = a2 / a2.sum(dim=-1)
            result = torch.matmul(a2, result)
    mask = result[0, 0, 1:]
    w = int(mask.size(-1) ** 0.5)
    mask = mask.reshape(w, w).numpy()
    return mask / np.max(mask)


def abnar_joint_attention(attn_lhnn):
    """Abnar & Zuidema rollout for one image (numpy float64): rows of mean_h A + I normalised,
    J = A_{L-1} ... A_0 as full matrix products; the CLS row (all N tokens)."""
    att = attn_lhnn.mean(axis=1).astype(np.float64)
    aug = att + np.eye(att.shape[1])[None]
    aug = aug / aug.sum(axis=-1)[..., None]
    joint = aug[0]
    for i in range(1, aug.shape[0]):
        joint = aug[i].dot(joint)
    return joint[0]


def min_max(c):
    """pytorch-grad-cam's scale_cam_image at grid resolution."""
    c = c - c.min()
    return c / (1e-7 + c.max())


def patch_sums(m, P):
    """(B, H, W) pixel map -> (B, gh, gw) sums over each P x P patch."""
    B, H, W = m.shape
    return m.reshape(B, H // P, P, W // P, P).sum(dim=(2, 4))


def grid(model, maps):
    """Per-image maps (list or (B, P) tensor) as one (B, gh, gw) tensor."""
    t = torch.stack([torch.as_tensor(m) for m in maps]) if isinstance(maps, list) else maps
    return t.reshape(t.shape[0], model.grid, model.grid)


# ---- the methods: (model, x, target) -> maps (B, gh, gw) ------------------------------------


def attention(model, x, target=None):
    """Last block's CLS attention over the patches, mean over heads."""
    taps = Taps(attn=True)
    with torch.no_grad():
        model.forward(x, taps)
    return grid(model, taps.attn_list[-1][:, :, 0, 1:].mean(dim=1))


def rollout(fusion, ratio):
    def run(model, x, target=None):
        taps = Taps(attn=True)
        with torch.no_grad():
            model.forward(x, taps)
        return grid(model, [vit_explain_rollout([a[b : b + 1] for a in taps.attn_list], ratio, fusion) for b in range(x.shape[0])])

    return run


def rollout_abnar(model, x, target=None):
    taps = Taps(attn=True)
    with torch.no_grad():
        model.forward(x, taps)
    stack = torch.stack(taps.attn_list, 1).numpy()  # (B, L, H, N, N)
    return torch.tensor(np.stack([abnar_joint_attention(stack[b]) for b in range(x.shape[0])]))  # (B, N): index 0 = CLS


def grad_rollout(ratio=0.9, hooked=True):
    def run(model, x, target):
        x = x.detach().requires_grad_(not model.grad_params)
        taps = Taps(attn=True, scores=hooked)
        out = model.forward(x, taps)
        mask = torch.zeros_like(out)
        mask[torch.arange(out.shape[0]), target] = 1
        (out * mask).sum().backward()
        if hooked:
            # The backward hook on attn_drop sees d/d scores, in backward order (vit-explain issue #6).
            grads = [s.grad for s in reversed(taps.score_list)]
        else:
            grads = [a.grad for a in taps.attn_list]
        attns = [a.detach() for a in taps.attn_list]
        return grid(model, [vit_explain_grad_rollout([a[b : b + 1] for a in attns], [g[b : b + 1] for g in grads], ratio) for b in range(x.shape[0])])

    return run


def relevance(model, x, target):
    """Chefer et al. generate_relevance: R = I; R += mean_h((dA * A)^+) R per block; R[CLS, patches]."""
    x = x.detach().requires_grad_(True)
    taps = Taps(attn=True)
    pick(model.forward(x, taps), target).sum().backward()
    B, N = x.shape[0], model.N
    with torch.no_grad():
        R = torch.eye(N).expand(B, N, N)
        for a in taps.attn_list:
            cam = (a.grad * a).clamp(min=0).mean(dim=1)
            R = R + torch.bmm(cam, R)
    return grid(model, R[:, 0, 1:])


def tokens_backward(model, x, target):
    """The hooks on blocks[-1].norm1: its output and the gradient of the target logit w.r.t. it."""
    x = x.detach().requires_grad_(True)
    taps = Taps(tokens_last=True)
    pick(model.forward(x, taps), target).sum().backward()
    return taps.tokens.detach(), taps.tokens.grad


def cdam(model, x, target):
    t, g = tokens_backward(model, x, target)
    return grid(model, (t * g).sum(dim=-1)[:, 1:])


def gradcam(model, x, target, raw=False):
    t, g = tokens_backward(model, x, target)
    act, grads = t[:, 1:], g[:, 1:]
    w = grads.mean(dim=1)  # mean over the patch grid, per channel
    cam = (act * w[:, None, :]).sum(dim=-1)
    if raw:
        return grid(model, cam)
    return grid(model, [min_max(min_max(cam[b].clamp(min=0))) for b in range(x.shape[0])])


def input_grads(model, x, target):
    x = x.detach().requires_grad_(True)
    pick(model.forward(x), target).sum().backward()
    return x.grad


def saliency(model, x, target):
    return patch_sums(input_grads(model, x, target).abs().sum(dim=1), model.P)


def grad_x_input(model, x, target):
    return patch_sums((input_grads(model, x, target) * x).sum(dim=1), model.P)


def batched_input_grads(model, xs, target, copies, chunk):
    """Input gradients for `copies` stacked copies of a batch (copy-major), `chunk` images at a time."""
    B = xs.shape[0] // copies
    t = target if isinstance(target, int) else target.repeat(copies)
    out = []
    for i in range(0, xs.shape[0], chunk):
        out.append(input_grads(model, xs[i : i + chunk], t if isinstance(t, int) else t[i : i + chunk]))
    return torch.cat(out).reshape(copies, B, *xs.shape[1:])


def ig(model, x, target, steps=32, chunk=32):
    """Captum IntegratedGradients, riemann_trapezoid, black baseline, internal batches of `chunk`."""
    B, C, H, W = x.shape
    base = BLACK.expand(B, C, H, W)
    alphas = torch.linspace(0, 1, steps)
    w = torch.full((steps,), 1 / steps)
    w[0] /= 2
    w[-1] /= 2
    scaled = base[None] + alphas.view(-1, 1, 1, 1, 1) * (x - base)[None]  # (steps, B, C, H, W)
    g = batched_input_grads(model, scaled.reshape(steps * B, C, H, W), target, steps, chunk)
    attr = (g * w.view(-1, 1, 1, 1, 1)).sum(dim=0) * (x - base)
    return patch_sums(attr.sum(dim=1), model.P)


def smoothgrad(model, x, target, samples=16, chunk=32):
    """Captum NoiseTunnel(Saliency(abs=True)), smoothgrad, sigma = 0.15 (max - min) per image."""
    B, C, H, W = x.shape
    sigma = 0.15 * (x.flatten(1).max(1)[0] - x.flatten(1).min(1)[0])
    noisy = x[None] + torch.randn(samples, B, C, H, W) * sigma.view(1, B, 1, 1, 1)
    g = batched_input_grads(model, noisy.reshape(samples * B, C, H, W), target, samples, chunk).abs()
    return patch_sums(g.mean(dim=0).sum(dim=1), model.P)


def tam(model, x, target, seq_chunk=64):
    """CDAM notebook's token ablation map: logit(full) - logit(token deleted after pos_embed)."""
    B = x.shape[0]
    tb = torch.full((B,), target) if isinstance(target, int) else target
    with torch.no_grad():
        z0 = model.embed(x)
        full = pick(model.head(model.encode(z0)), tb)
        N = z0.shape[1]
        items = [(b, t) for b in range(B) for t in range(1, N)]
        ablated = torch.empty(len(items))
        for i in range(0, len(items), seq_chunk):
            part = items[i : i + seq_chunk]
            zs = torch.stack([torch.cat([z0[b, :t], z0[b, t + 1 :]]) for b, t in part])
            ablated[i : i + len(part)] = pick(model.head(model.encode(zs)), tb[[b for b, _ in part]])
        return grid(model, (full.repeat_interleave(N - 1) - ablated).reshape(B, -1))


def occlusion(model, x, target, img_chunk=64):
    """Blank-out: prob(x)[t] - prob(x with patch p black)[t], occluded images batched."""
    B = x.shape[0]
    P, gw = model.P, model.grid
    tb = torch.full((B,), target) if isinstance(target, int) else target
    with torch.no_grad():
        full = pick(model.forward(x).softmax(-1), tb)
        items = [(b, p) for b in range(B) for p in range(gw * gw)]
        probs = torch.empty(len(items))
        for i in range(0, len(items), img_chunk):
            part = items[i : i + img_chunk]
            xs = x[[b for b, _ in part]].clone()
            for j, (_, p) in enumerate(part):
                r, c = divmod(p, gw)
                xs[j, :, r * P : (r + 1) * P, c * P : (c + 1) * P] = BLACK[0]
            probs[i : i + len(part)] = pick(model.forward(xs).softmax(-1), tb[[b for b, _ in part]])
        return grid(model, (full.repeat_interleave(gw * gw) - probs).reshape(B, -1))


METHODS = {
    "attention": attention,
    "rollout": rollout("mean", 0.0),
    "rollout-max": rollout("max", 0.9),
    "rollout-abnar": rollout_abnar,
    "grad-rollout": grad_rollout(0.9),
    "grad-rollout-params": grad_rollout(0.9),  # run on a model whose parameters require grad
    "relevance": relevance,
    "cdam": cdam,
    "gradcam": gradcam,
    "saliency": saliency,
    "grad-x-input": grad_x_input,
    "ig": ig,
    "smoothgrad": smoothgrad,
    "tam": tam,
    "occlusion": occlusion,
}


def explain_modes(model, cfg):
    IMG = model.IMG
    chunk = cfg.get("chunk", 32)
    lazy = {}

    def params_model():
        lazy.setdefault("m", ViT(cfg, grad_params=True))
        return lazy["m"]

    def mode(name, fn):
        def run(B):
            m = params_model() if name == "grad-rollout-params" else model
            x = torch.randn(B, 3, IMG, IMG)
            if name in ("ig", "smoothgrad"):
                return fn(m, x, TARGET, chunk=chunk)
            return fn(m, x, TARGET)

        return run

    return {name: mode(name, fn) for name, fn in METHODS.items()}


# ---- faithfulness check against a golden case ------------------------------------------------


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    dt = {"F32": np.float32, "I32": np.int32, "U8": np.uint8}
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(raw[8 + n + b : 8 + n + e], dtype=dt[v["dtype"]]).reshape(v["shape"]).copy())
    return out


def check(case_dir):
    cfg_json = json.load(open(os.path.join(case_dir, "config.json")))
    a = cfg_json["model_args"]
    cfg = {"dim": a["embed_dim"], "depth": a["depth"], "heads": a["num_heads"], "patch": a["patch_size"][0], "img": a["img_size"][0], "classes": a["num_classes"]}
    model = ViT(cfg).load(read_safetensors(os.path.join(case_dir, "model.safetensors")))
    exp = read_safetensors(os.path.join(case_dir, "expected.safetensors"))
    x = exp["input"]
    t = exp["targets/fixed"].long()
    top = exp["targets/top"].long()
    cases = [
        ("logits", lambda: model.forward(x).detach(), "logits"),
        ("rollout mean 0.0", lambda: rollout("mean", 0.0)(model, x), "rollout/mean/0.0"),
        ("rollout max 0.9", lambda: rollout("max", 0.9)(model, x), "rollout/max/0.9"),
        ("rollout-abnar", lambda: rollout_abnar(model, x).float(), "abnar_rollout"),
        ("grad-rollout hooked 0.9", lambda: grad_rollout(0.9)(model, x, t), "grad_rollout_hooked/fixed/0.9"),
        ("grad-rollout same-block 0.9", lambda: grad_rollout(0.9, hooked=False)(model, x, t), "grad_rollout/fixed/0.9"),
        ("relevance", lambda: relevance(model, x, t), "chefer/fixed"),
        ("cdam", lambda: cdam(model, x, t), "cdam_class/fixed"),
        ("gradcam", lambda: gradcam(model, x, t), "gradcam/fixed"),
        ("gradcam raw", lambda: gradcam(model, x, t, raw=True), "gradcam_raw/fixed"),
        ("saliency (input gradient)", lambda: input_grads(model, x, top), "grad_input/top"),
        ("tam", lambda: tam(model, x, t), "tam/fixed"),
        ("occlusion", lambda: occlusion(model, x, t), "blankout/fixed"),
    ]
    ok = True
    for label, fn, name in cases:
        if name not in exp:
            continue
        got, want = fn().reshape(exp[name].shape), exp[name]
        err = ((got - want).abs().max() / want.abs().max().clamp(min=1e-30)).item()
        good = err < 1e-3
        ok &= good
        print(f"{'ok ' if good else 'BAD'} {label:32s} max |diff| / max |ref| = {err:.2e}")
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        torch.set_num_threads(2)
        sys.exit(0 if check(sys.argv[2]) else 1)
    cfg = json.loads(sys.argv[1])
    setup(cfg)
    model = ViT(cfg)
    modes = {**vit_modes(model, cfg), **explain_modes(model, cfg)}
    print(json.dumps(run_plan(cfg, modes)))
