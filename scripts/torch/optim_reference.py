"""Reference values for src/optim/optim.test.ts, computed with PyTorch (Debian's torch 1.13).

Run with /usr/bin/python3 scripts/torch/optim_reference.py; paste the printed object into
the test's REFERENCE constant. Each optimizer starts from the same parameter and sees the same
fixed gradients; the parameter after every step is recorded.
"""

import json

import torch

P0 = [0.5, -1.2, 0.3, 2.0, -0.7, 0.05]
GRADS = [
    [0.1, -0.2, 0.3, -0.4, 0.5, -0.6],
    [-0.3, 0.25, 0.0, 0.9, -0.05, 0.4],
    [0.7, 0.1, -0.8, 0.2, 0.3, -0.1],
    [0.05, -0.6, 0.4, -0.2, 0.0, 0.35],
    [-0.2, 0.3, 0.1, 0.6, -0.9, 0.2],
]

CONFIGS = {
    "sgd": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    "adam": (torch.optim.Adam, dict(lr=0.01)),
    "adam_wd": (torch.optim.Adam, dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01)),
    "adamw_wd": (torch.optim.AdamW, dict(lr=0.02, betas=(0.85, 0.99), weight_decay=0.3)),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01)),
    "rmsprop_momentum": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-6, momentum=0.5, weight_decay=0.1)),
}


def run(cls, kwargs):
    p = torch.nn.Parameter(torch.tensor(P0, dtype=torch.float32).reshape(2, 3))
    opt = cls([p], **kwargs)
    out = []
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float32).reshape(2, 3)
        opt.step()
        out.append([float(v) for v in p.detach().flatten()])
    return out


def clip():
    a = torch.nn.Parameter(torch.zeros(2, 3))
    b = torch.nn.Parameter(torch.zeros(4))
    a.grad = torch.tensor([[0.5, -1.5, 2.0], [0.25, -0.75, 1.0]])
    b.grad = torch.tensor([3.0, -0.5, 0.1, -2.5])
    norm = torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    res = {"norm": float(norm), "a": [float(v) for v in a.grad.flatten()], "b": [float(v) for v in b.grad.flatten()]}
    a.grad = torch.tensor([[0.5, -1.5, 2.0], [0.25, -0.75, 1.0]])
    b.grad = torch.tensor([3.0, -0.5, 0.1, -2.5])
    inf = torch.nn.utils.clip_grad_norm_([a, b], max_norm=2.0, norm_type=float("inf"))
    res["infNorm"] = float(inf)
    res["infA"] = [float(v) for v in a.grad.flatten()]
    res["infB"] = [float(v) for v in b.grad.flatten()]
    return res


print(json.dumps({"steps": {k: run(*v) for k, v in CONFIGS.items()}, "clip": clip()}, indent=2))
