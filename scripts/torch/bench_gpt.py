"""PyTorch's side of `npm run bench`'s GPT row: training tokens per second, CPU eager, of the
exported train.py's own model, optimizer (nanoGPT's groups), scheduler, loss and clipping, on
seeded random windows of a random character text, as Kiln's row trains.

usage: bench_gpt.py TRAIN_PY STEPS_PER_ROUND ROUNDS

Prints one JSON object: the best round's tokens per second after a first round that warms up, and
the threads torch used (as many as the machine has cores).
"""
import importlib.util
import json
import os
import sys
import time

import torch


def load_module(path):
    spec = importlib.util.spec_from_file_location("exported_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    train_py, steps, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    m = load_module(train_py)
    block_size, batch_size = m.CONFIG["blockSize"], m.CONFIG["batchSize"]
    ids = torch.randint(m.CLASSES, (90_000,))
    model = m.make_model()
    optimizer = m.make_optimizer(model)
    scheduler = m.make_scheduler(optimizer, m.CONFIG["epochs"], m.CONFIG["evalEvery"])
    criterion = m.make_criterion()
    generator = torch.Generator().manual_seed(0)
    best = 0.0
    for r in range(rounds + 1):
        started = time.perf_counter()
        for _ in range(steps):
            x, y = m.get_batch(ids, batch_size, block_size, generator)
            optimizer.zero_grad()
            loss = criterion(*m.flat(model(x), y))
            loss.backward()
            m.clip_gradients(model.parameters())
            optimizer.step()
            scheduler.step()
            # Kiln reads its loss back every few steps; eager PyTorch has it at once.
            loss.item()
        if r > 0:
            best = max(best, steps * batch_size * block_size / (time.perf_counter() - started))
    print(json.dumps({"tokens_per_s": best, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
