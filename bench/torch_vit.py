"""PyTorch reference timings for the vitlens benchmarks, on the same machine and in the same run.

timm is not installed here, so the ViT is written out in plain torch exactly as timm's
VisionTransformer computes it (pre-norm blocks, fused qkv, exact GELU, class token pooling).
Prints one JSON object: median milliseconds per measured configuration (`mode/bB`), null for a
mode that failed (the error goes to stderr).

Modes here (the explanation methods are in torch_explain.py, which imports this module):
  fwd           forward under no_grad
  fwdtape       forward building the autograd graph (input requires grad), no backward
  fwdbwd        forward + backward of sum_b logits[b, target] to the input pixels
  fwdbwd_t<T>   forward once + T backward passes (retain_graph) for T target classes: how one
                gets T gradients in PyTorch (vitlens carries all T through one backward)
  fwdbwd_last   gradient w.r.t. the last block's norm1 output only, that tensor made a leaf
                (what a pruned backward costs: the last block and the head)
Parameters never require grad (no weight gradients, like vitlens) unless a mode says so.

usage: python3 bench/torch_vit.py '{"dim":192,"depth":12,"heads":3,"patch":16,"img":224,"classes":1000,
                                    "batches":[1,8],"reps":10,"modes":["fwd","fwdbwd","fwdbwd_t10"]}'
       optional: "threads" (2), "plan": [{"mode": "fwd", "batch": 1, "reps": 5}, ...] instead of
       modes x batches x reps.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


class ViT:
    """timm VisionTransformer forward (eval), split like vitlens: embed, encode (blocks), head."""

    def __init__(self, cfg, grad_params=False, seed=0):
        g = torch.Generator().manual_seed(seed)
        D, L, H, P, IMG, C = cfg["dim"], cfg["depth"], cfg["heads"], cfg["patch"], cfg["img"], cfg["classes"]
        self.D, self.L, self.H, self.P, self.IMG, self.C = D, L, H, P, IMG, C
        self.hd = D // H
        self.grad_params = grad_params
        self.grid = IMG // P
        self.N = 1 + self.grid ** 2

        def t(*shape, scale):
            return (torch.randn(*shape, generator=g) * scale).requires_grad_(grad_params)

        def lin(o, i):
            return (t(o, i, scale=i ** -0.5), t(o, scale=0.02))

        def ln():
            return (torch.ones(D).requires_grad_(grad_params), torch.zeros(D).requires_grad_(grad_params))

        self.pe = (t(D, 3, P, P, scale=(3 * P * P) ** -0.5), t(D, scale=0.02))
        self.cls = t(1, 1, D, scale=0.02)
        self.pos = t(1, self.N, D, scale=0.02)
        self.blocks = [
            {"n1": ln(), "qkv": lin(3 * D, D), "proj": lin(D, D), "n2": ln(), "fc1": lin(4 * D, D), "fc2": lin(D, 4 * D)}
            for _ in range(L)
        ]
        self.norm = ln()
        self.head_w = lin(C, D)

    def load(self, w):
        """Takes timm state_dict tensors (name -> tensor), e.g. a golden case's model.safetensors."""
        self.pe = (w["patch_embed.proj.weight"], w["patch_embed.proj.bias"])
        self.cls, self.pos = w["cls_token"], w["pos_embed"]
        for l, blk in enumerate(self.blocks):
            p = lambda n: (w[f"blocks.{l}.{n}.weight"], w[f"blocks.{l}.{n}.bias"])
            blk.update(n1=p("norm1"), qkv=p("attn.qkv"), proj=p("attn.proj"), n2=p("norm2"), fc1=p("mlp.fc1"), fc2=p("mlp.fc2"))
        self.norm = (w["norm.weight"], w["norm.bias"])
        self.head_w = (w["head.weight"], w["head.bias"])
        return self

    def embed(self, x):
        """Pixels -> tokens entering block 0 (B, N, D), position embedding added."""
        B = x.shape[0]
        z = F.conv2d(x, self.pe[0], self.pe[1], stride=self.P).flatten(2).transpose(1, 2)
        return torch.cat([self.cls.expand(B, -1, -1), z], 1) + self.pos

    def encode(self, z, taps=None):
        """The blocks. `taps` (a Taps) collects what the explanation methods hook."""
        B, N, D = z.shape
        H, hd = self.H, self.hd
        for l, blk in enumerate(self.blocks):
            y = F.layer_norm(z, (D,), *blk["n1"], 1e-6)
            if taps is not None and taps.tokens_last and l == self.L - 1:
                y = taps.keep_tokens(y)
            qkv = F.linear(y, *blk["qkv"]).reshape(B, N, 3, H, hd).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            s = (q * hd ** -0.5) @ k.transpose(-2, -1)
            if taps is not None and taps.scores:
                taps.keep(taps.score_list, s)
            a = s.softmax(-1)
            if taps is not None and taps.attn:
                taps.keep(taps.attn_list, a)
            o = (a @ v).transpose(1, 2).reshape(B, N, D)
            z = z + F.linear(o, *blk["proj"])
            y = F.layer_norm(z, (D,), *blk["n2"], 1e-6)
            z = z + F.linear(F.gelu(F.linear(y, *blk["fc1"])), *blk["fc2"])
        return z

    def head(self, z):
        f = F.layer_norm(z[:, 0], (self.D,), *self.norm, 1e-6)
        return F.linear(f, *self.head_w)

    def forward(self, x, taps=None):
        return self.head(self.encode(self.embed(x), taps))


class Taps:
    """What PyTorch hooks would collect: attention probabilities (vit-explain's forward hook on
    attn_drop), pre-softmax scores (its backward hook on attn_drop sees their gradient), the last
    block's norm1 output (CDAM's / pytorch-grad-cam's hook). Gradients are kept with retain_grad."""

    def __init__(self, attn=False, scores=False, tokens_last=False, leaf=False):
        self.attn, self.scores, self.tokens_last, self.leaf = attn, scores, tokens_last, leaf
        self.attn_list, self.score_list, self.tokens = [], [], None

    @staticmethod
    def keep(lst, t):
        if t.requires_grad:
            t.retain_grad()
        lst.append(t)

    def keep_tokens(self, y):
        if self.leaf:
            y = y.detach().requires_grad_(True)
        elif y.requires_grad:
            y.retain_grad()
        self.tokens = y
        return y


def target_loss(out, target=7):
    """sum_b logits[b, target]: one backward gives every image its own gradient."""
    return out[:, target].sum()


def vit_modes(model, cfg):
    IMG = model.IMG

    def fwd(B):
        x = torch.randn(B, 3, IMG, IMG)
        with torch.no_grad():
            model.forward(x)

    def fwdtape(B):
        x = torch.randn(B, 3, IMG, IMG, requires_grad=True)
        model.forward(x)

    def fwdbwd(B):
        x = torch.randn(B, 3, IMG, IMG, requires_grad=True)
        target_loss(model.forward(x)).backward()
        return x.grad

    def fwdbwd_targets(T):
        def run(B):
            x = torch.randn(B, 3, IMG, IMG, requires_grad=True)
            out = model.forward(x)
            return [torch.autograd.grad(out[:, t].sum(), x, retain_graph=t < T - 1)[0] for t in range(T)]

        return run

    def fwdbwd_last(B):
        x = torch.randn(B, 3, IMG, IMG)
        taps = Taps(tokens_last=True, leaf=True)
        target_loss(model.forward(x, taps)).backward()
        return taps.tokens.grad

    modes = {"fwd": fwd, "fwdtape": fwdtape, "fwdbwd": fwdbwd, "fwdbwd_last": fwdbwd_last}
    for m in cfg.get("modes", []) + [p["mode"] for p in cfg.get("plan", [])]:
        if m.startswith("fwdbwd_t") and m[len("fwdbwd_t"):].isdigit():
            modes[m] = fwdbwd_targets(int(m[len("fwdbwd_t"):]))
    return modes


def median_ms(fn, B, reps, warmup=1):
    for _ in range(warmup):
        fn(B)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn(B)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[len(times) // 2]


def run_plan(cfg, modes):
    """Times every (mode, batch) of the plan; returns {"mode/bB": median ms or None}."""
    plan = cfg.get("plan") or [{"mode": m, "batch": B, "reps": cfg["reps"]} for m in cfg["modes"] for B in cfg["batches"]]
    result = {}
    for p in plan:
        key = f"{p['mode']}/b{p['batch']}"
        fn = modes.get(p["mode"])
        if fn is None:
            print(f"torch: unknown mode {p['mode']}", file=sys.stderr)
            result[key] = None
            continue
        try:
            result[key] = median_ms(fn, p["batch"], p.get("reps", cfg.get("reps", 5)), p.get("warmup", 1))
        except Exception as e:  # one failing mode must not lose the others' timings
            print(f"torch: {key} failed: {type(e).__name__}: {e}", file=sys.stderr)
            result[key] = None
    return result


def setup(cfg):
    torch.set_num_threads(cfg.get("threads", 2))
    torch.manual_seed(0)


if __name__ == "__main__":
    cfg = json.loads(sys.argv[1])
    setup(cfg)
    model = ViT(cfg)
    print(json.dumps(run_plan(cfg, vit_modes(model, cfg))))
