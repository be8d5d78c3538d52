"""PyTorch's side of Kiln's parity test: the guide's SimpleNN trained from a given state dict on
the first N MNIST training images in file order (no shuffling), batch 64, with SGD or Adam, the
same normalisation; writes the final weights, and the test accuracy of a given state dict.

usage: parity.py train INIT.safetensors OUT.safetensors MNIST_DIR N sgd|adam LR
       parity.py accuracy MODEL.safetensors MNIST_DIR
Reads and writes .safetensors with a few lines of its own (no safetensors package needed)."""
import json
import os
import struct
import sys

import torch
import torch.nn as nn

DT = {"F32": torch.float32, "I64": torch.int64}


def load(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        t = torch.frombuffer(bytearray(raw[8 + n + a : 8 + n + b]), dtype=DT[v["dtype"]])
        out[k] = t.reshape(v["shape"])
    return out


def save(sd, path):
    header, blobs, off = {}, [], 0
    for k, t in sd.items():
        data = t.detach().contiguous().numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def idx(path):
    raw = open(path, "rb").read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim :]), dtype=torch.uint8).reshape(dims)


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x.view(-1, 784))))


def images(d, name, n=None):
    x = idx(os.path.join(d, name))[:n].float() / 255.0
    return ((x - 0.1307) / 0.3081).view(-1, 1, 28, 28)


def main():
    torch.set_num_threads(1)
    if sys.argv[1] == "train":
        init, out, d, n, opt, lr = sys.argv[2:8]
        n, lr = int(n), float(lr)
        model = SimpleNN()
        model.load_state_dict(load(init))
        x = images(d, "train-images-idx3-ubyte", n)
        y = idx(os.path.join(d, "train-labels-idx1-ubyte"))[:n].long()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr) if opt == "sgd" else torch.optim.Adam(model.parameters(), lr=lr)
        criterion = nn.CrossEntropyLoss()
        for i in range(0, n, 64):
            optimizer.zero_grad()
            loss = criterion(model(x[i : i + 64]), y[i : i + 64])
            loss.backward()
            optimizer.step()
        save(model.state_dict(), out)
    else:
        path, d = sys.argv[2:4]
        model = SimpleNN()
        model.load_state_dict(load(path))
        model.eval()
        with torch.no_grad():
            pred = model(images(d, "t10k-images-idx3-ubyte")).argmax(1)
        labels = idx(os.path.join(d, "t10k-labels-idx1-ubyte")).long()
        print(json.dumps({"accuracy": (pred == labels).float().mean().item()}))


main()
