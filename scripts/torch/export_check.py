"""Checks many exported train.py files in one Python start, for src/train/export_property.test.ts.

    /usr/bin/python3 export_check.py CASES.json

CASES.json is a list of {"script": TRAIN_PY, "state": FILE, "io": FILE}: a Kiln state dict, and a
file with a batch "x" and Kiln's eval-mode outputs "y" for it. For each case, one JSON line: the
script compiled (py_compile), imported (its main not run), no module-level name bound twice and
the model class's name read nowhere but in make_model (a class named like an import, a constant, a
helper or a builtin the script calls would shadow it), the model built and
loaded with load_state_dict(strict=True), its outputs' largest difference from Kiln's, and the
arguments make_optimizer, make_scheduler, make_criterion and clip_gradients passed to torch (the
constructors wrapped to record them, defaults filled in), and the optimizer's parameter groups
(their sizes and weight decays). A failure is reported, not raised, so
one bad case does not hide the others.
"""
import ast
import importlib.util
import inspect
import json
import py_compile
import sys
import traceback

import torch

calls = []
LAMBDA_STEPS = 80


def recording(owner, name):
    """Makes owner.name record its bound arguments when called: a function is replaced, a class
    has its __init__ wrapped in place (torch's own classes name themselves in super())."""
    target = getattr(owner, name)
    original = target.__init__ if isinstance(target, type) else target
    signature = inspect.signature(original)

    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        recorded = {k: v for k, v in bound.arguments.items() if k not in ("self", "params", "parameters", "optimizer")}
        # LambdaLR's function, recorded by its values over the first LAMBDA_STEPS steps.
        recorded = {k: [v(i) for i in range(LAMBDA_STEPS)] if callable(v) else v for k, v in recorded.items()}
        calls.append({"call": name, "args": jsonable(recorded)})
        return original(*args, **kwargs)

    if isinstance(target, type):
        target.__init__ = wrapper
    else:
        setattr(owner, name, wrapper)


def jsonable(v):
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, float) and v != v:
        return "nan"
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


for cls in ("SGD", "Adam", "AdamW", "RMSprop"):
    recording(torch.optim, cls)
for cls in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "ReduceLROnPlateau", "LinearLR", "OneCycleLR", "LambdaLR"):
    recording(torch.optim.lr_scheduler, cls)
recording(torch.nn, "CrossEntropyLoss")
recording(torch.nn.utils, "clip_grad_norm_")
recording(torch.nn.utils, "clip_grad_value_")


def rebound(tree):
    """Module-level names bound more than once (assignments, defs, classes, imports)."""
    seen, twice = set(), set()
    for node in tree.body:
        names = []
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [(a.asname or a.name).split(".")[0] for a in node.names]
        for n in names:
            (twice if n in seen else seen).add(n)
    return sorted(twice)


def uses(tree, name):
    """Where the script reads a name outside make_model (which builds the model class)."""
    make_model = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "make_model"]
    inside = {id(n) for f in make_model for n in ast.walk(f)}
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name and id(n) not in inside]


def check(i, case):
    out = {"script": case["script"]}
    py_compile.compile(case["script"], doraise=True)
    with open(case["script"], encoding="utf-8") as f:
        tree = ast.parse(f.read())
    out["rebound"] = rebound(tree)
    spec = importlib.util.spec_from_file_location(f"exported_{i}", case["script"])
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    model = m.make_model()
    cls = type(model).__name__
    out["class"] = cls
    out["class_used_at"] = uses(tree, cls)
    state, _ = m.read_safetensors(case["state"])
    model.load_state_dict(state, strict=True)
    model.eval()
    io, _ = m.read_safetensors(case["io"])
    with torch.no_grad():
        y = model(io["x"])
    out["shape"] = list(y.shape)
    # NaN where the two disagree on one (equal_nan): that is a difference too.
    same_nan = torch.isnan(y) == torch.isnan(io["y"]) if y.shape == io["y"].shape else None
    diff = (y - io["y"]).abs().nan_to_num(0.0).max() if same_nan is not None and bool(same_nan.all()) else None
    out["max_diff"] = None if diff is None else float(diff)
    out["scale"] = float(io["y"].abs().nan_to_num(0.0).max())
    del calls[:]
    optimizer = m.make_optimizer(model)
    out["groups"] = [[len(g["params"]), g["weight_decay"]] for g in optimizer.param_groups]
    m.make_scheduler(optimizer, m.CONFIG["epochs"], 3)
    m.make_criterion()
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    m.clip_gradients(model.parameters())
    out["calls"] = list(calls)
    out["config"] = m.CONFIG
    out["model_name"] = m.MODEL_NAME
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    for i, case in enumerate(cases):
        try:
            out = check(i, case)
        except BaseException:
            out = {"script": case["script"], "error": traceback.format_exc()}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
