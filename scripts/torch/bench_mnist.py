"""PyTorch's side of `npm run bench`'s image rows: training samples per second, CPU eager, of the
exported train.py's own model, optimizer and loss, on the same normalised MNIST samples Kiln's
row trains (written by the bench as raw float32 pixels and uint8 labels), batch 64, shuffled,
the data resident in memory as a tensor (no DataLoader workers), as Kiln's rows train.

usage: bench_mnist.py TRAIN_PY DATA_BIN COUNT EPOCHS THREADS[,THREADS...]

For each thread count, prints one JSON object per line: the best epoch's samples per second after
a first epoch that warms up, and the threads torch used.
"""
import importlib.util
import json
import sys
import time

import numpy as np
import torch


def load_module(path):
    spec = importlib.util.spec_from_file_location("exported_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench(m, x, y, epochs, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = m.make_model()
    model.train()
    optimizer = m.make_optimizer(model)
    criterion = m.make_criterion()
    batch_size = m.CONFIG["batchSize"]
    generator = torch.Generator().manual_seed(0)
    n = len(y)
    best = 0.0
    for e in range(max(2, epochs)):
        started = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            # Kiln reads its loss back every few steps; eager PyTorch has it at once.
            loss.item()
        if e > 0:
            best = max(best, n / (time.perf_counter() - started))
    return {"samples_per_s": best, "threads": torch.get_num_threads()}


def main():
    train_py, data_bin, count, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    thread_counts = [int(t) for t in sys.argv[5].split(",")]
    m = load_module(train_py)
    raw = np.fromfile(data_bin, dtype=np.uint8)
    pixel_bytes = count * 784 * 4
    x = torch.from_numpy(raw[:pixel_bytes].view(np.float32).copy()).reshape(count, *m.INPUT_SHAPE)
    y = torch.from_numpy(raw[pixel_bytes:pixel_bytes + count].astype(np.int64))
    for threads in thread_counts:
        print(json.dumps(bench(m, x, y, epochs, threads)), flush=True)


if __name__ == "__main__":
    main()
