"""PyTorch's side of `npm run bench`'s WASM rows: training samples per second, CPU eager, of the
exported train.py's own model, optimizer and loss (the bench's SimpleNN and CNN preset, batch 64,
Adam) on a fixed number of threads, over SAMPLES seeded random images of the model's input shape
(the arithmetic of MNIST's; the data are resident, as Kiln's are).

usage: bench_train.py TRAIN_PY SAMPLES ROUNDS THREADS

Prints one JSON object: the best round's samples per second after a first round that warms up,
and the threads torch used.
"""
import importlib.util
import json
import sys
import time

import torch


def load_module(path):
    spec = importlib.util.spec_from_file_location("exported_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    train_py, samples, rounds, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = load_module(train_py)
    batch = m.CONFIG["batchSize"]
    x = torch.randn(samples, *m.INPUT_SHAPE)
    y = torch.randint(m.CLASSES, (samples,))
    model = m.make_model()
    model.train()
    optimizer = m.make_optimizer(model)
    criterion = m.make_criterion()
    best = 0.0
    for r in range(rounds + 1):
        order = torch.randperm(samples)
        started = time.perf_counter()
        for i in range(0, samples, batch):
            idx = order[i : i + batch]
            optimizer.zero_grad()
            loss = criterion(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            # Kiln reads its loss back every few steps; eager PyTorch has it at once.
            loss.item()
        if r > 0:
            best = max(best, samples / (time.perf_counter() - started))
    print(json.dumps({"samples_per_s": best, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
