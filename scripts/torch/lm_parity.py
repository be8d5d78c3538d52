"""PyTorch's side of Kiln's language-model parity test (src/train/lm_parity.test.ts): the exported
train.py's own model, optimizer (its parameter groups), scheduler, loss and clipping, trained from
Kiln's initial weights on the windows Kiln drew.

usage: lm_parity.py TRAIN_PY TEXT INIT.safetensors STARTS.safetensors

TEXT is read by the script's load_text; STARTS holds "starts", int32 [steps, batch]: the training
windows' offsets Kiln drew for each step, cut by the script's windows(). Prints one JSON object:
the vocabulary, the initial model's logits of the first batch (eval mode), and every step's loss.
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
    torch.set_num_threads(1)
    train_py, text, init, starts_file = sys.argv[1:5]
    m = load_module(train_py)
    block_size = m.CONFIG["blockSize"]
    vocab, train, _ = m.load_text(text, block_size)
    starts = m.read_safetensors(starts_file)[0]["starts"].long()
    model = m.make_model()
    model.load_state_dict(m.read_safetensors(init)[0], strict=True)
    batches = [m.windows(train, s, block_size) for s in starts]
    model.eval()
    with torch.no_grad():
        logits = model(batches[0][0]).reshape(-1).tolist()
    model.train()
    optimizer = m.make_optimizer(model)
    scheduler = m.make_scheduler(optimizer, m.CONFIG["epochs"], m.CONFIG["evalEvery"])
    criterion = m.make_criterion()
    losses = []
    for x, y in batches:
        optimizer.zero_grad()
        loss = criterion(*m.flat(model(x), y))
        loss.backward()
        m.clip_gradients(model.parameters())
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    print(json.dumps({"vocab": vocab, "logits": logits, "losses": losses}))


if __name__ == "__main__":
    main()
