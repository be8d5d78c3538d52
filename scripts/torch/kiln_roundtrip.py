"""Loads and saves Kiln files through an exported train.py, for src/train/export_pytorch.test.ts.

    /usr/bin/python3 kiln_roundtrip.py TRAIN_PY load FILE INPUTS OUT
        FILE (a Kiln state dict or full checkpoint) into the exported model and optimizer; writes
        the eval-mode logits of INPUTS' tensor "x" to OUT, with the optimizer's state count and
        the epoch to resume from in OUT's metadata.
    /usr/bin/python3 kiln_roundtrip.py TRAIN_PY save FILE INPUTS OUT
        a PyTorch-trained model (seeded, three SGD steps on "x" so BatchNorm statistics move)
        written to FILE as .safetensors, and its eval-mode logits of "x" to OUT.

Only the exported script's own reader and writer are used, so they are what gets tested.
"""
import importlib.util
import json
import sys

import torch


def load_module(path):
    spec = importlib.util.spec_from_file_location("exported_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    train_py, mode, file, inputs, out = sys.argv[1:6]
    m = load_module(train_py)
    x = m.read_safetensors(inputs)[0]["x"]
    model = m.make_model()
    meta = {}
    if mode == "load":
        optimizer = m.make_optimizer(model)
        scheduler = m.make_scheduler(optimizer, m.CONFIG["epochs"], 1)
        meta["start_epoch"] = str(m.load_resume(file, model, optimizer, scheduler)[0])
        meta["optimizer_states"] = str(len(optimizer.state_dict()["state"]))
        meta["lr"] = str(optimizer.param_groups[0]["lr"])
    else:
        torch.manual_seed(0)
        model = m.make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        labels = torch.randint(0, 10, (x.shape[0],)) % model(x).shape[1]
        for _ in range(3):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), labels).backward()
            optimizer.step()
        m.write_safetensors(file, model.state_dict(), {"format": "pt"})
    model.eval()
    with torch.no_grad():
        logits = model(x)
    m.write_safetensors(out, {"logits": logits}, meta)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
