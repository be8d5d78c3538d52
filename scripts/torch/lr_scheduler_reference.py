"""Prints PyTorch's learning-rate sequences that src/optim/lr_scheduler.test.ts pins as literals.

Run with Debian's python3-torch: /usr/bin/python3 scripts/torch/lr_scheduler_reference.py
Each case records the lrs right after construction and after each of 30 step() calls, for two
param groups, so per-group base lrs and the recursive forms are both exercised.
"""
import json

import torch
from torch.optim import SGD, Adam, lr_scheduler as S

STEPS = 30


def groups():
    return [{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1},
            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.05}]


def sgd():
    return SGD(groups(), lr=0.1, momentum=0.9)


def adam():
    return Adam(groups(), lr=0.1, betas=(0.9, 0.999))


def run(opt, make, extra=None):
    sched = make(opt)
    lrs = [sched.get_last_lr()]
    extras = [extra(opt)] if extra else None
    for _ in range(STEPS):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        if extra:
            extras.append(extra(opt))
    return {"lrs": lrs, "extra": extras} if extra else {"lrs": lrs}


def plateau(opt, metrics, **kw):
    sched = S.ReduceLROnPlateau(opt, **kw)
    lrs = []
    for m in metrics:
        sched.step(m)
        # torch 1.13's ReduceLROnPlateau has no get_last_lr(); _last_lr is what later versions return.
        lrs.append(sched._last_lr)
    return {"lrs": lrs}


momentum = lambda o: [g["momentum"] for g in o.param_groups]
beta1 = lambda o: [g["betas"][0] for g in o.param_groups]

METRICS = [1.0, 0.9, 0.85, 0.85, 0.86, 0.849, 0.84, 0.84, 0.84, 0.84, 0.84, 0.83, 0.8299, 0.83,
           0.83, 0.83, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82, 0.82]
MAX_METRICS = [0.5, 0.6, 0.6, 0.6, 0.61, 0.605, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.75, 0.75, 0.75]

cases = {
    "stepLR": run(sgd(), lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
    "multiStepLR": run(sgd(), lambda o: S.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.3)),
    "exponentialLR": run(sgd(), lambda o: S.ExponentialLR(o, gamma=0.93)),
    "cosineAnnealingLR": run(sgd(), lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    "linearLR": run(sgd(), lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=12)),
    "oneCycleCos": run(sgd(), lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30), momentum),
    "oneCycleLinearThreePhase": run(adam(), lambda o: S.OneCycleLR(
        o, max_lr=0.3, epochs=5, steps_per_epoch=6, pct_start=0.25, anneal_strategy="linear",
        div_factor=10.0, final_div_factor=100.0, three_phase=True, base_momentum=0.8,
        max_momentum=0.9), beta1),
    "plateauMinRel": plateau(sgd(), METRICS, mode="min", factor=0.5, patience=2, threshold=0.01,
                             cooldown=1, min_lr=[0.01, 0.02]),
    "plateauMaxAbs": plateau(sgd(), MAX_METRICS, mode="max", factor=0.1, patience=1,
                             threshold=0.02, threshold_mode="abs", min_lr=0.0001, eps=1e-8),
}
print(json.dumps(cases))
