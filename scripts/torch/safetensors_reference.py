"""Writes and reads safetensors with only struct + json, from a torch state dict, for
src/train/safetensors.test.ts, which pins the printed bytes and values as literals.

    /usr/bin/python3 scripts/torch/safetensors_reference.py          # print fixture
    /usr/bin/python3 scripts/torch/safetensors_reference.py FILE     # read a file Kiln wrote

The writer follows the reference implementation's layout: u64 LE header length, compact JSON with
__metadata__ first, spaces to a multiple of 8, then the tensors' bytes in order.
"""
import json
import struct
import sys

import torch

DTYPES = {torch.float32: "F32", torch.int64: "I64"}
TORCH = {v: k for k, v in DTYPES.items()}


def write(state, metadata):
    header = {"__metadata__": metadata}
    offset, blobs = 0, []
    for name, t in state.items():
        blob = t.contiguous().numpy().tobytes()  # numpy writes native order: little-endian on x86
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def read(data):
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n:]
    state = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        state[name] = torch.frombuffer(bytearray(body[b:e]), dtype=TORCH[info["dtype"]]).reshape(info["shape"])
    return state, metadata


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 2)
        self.bn1 = torch.nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn1(self.fc1(x))


if len(sys.argv) > 1:
    state, metadata = read(open(sys.argv[1], "rb").read())
    print(json.dumps({"metadata": metadata,
                      "tensors": {k: {"dtype": DTYPES[v.dtype], "shape": list(v.shape), "values": v.flatten().tolist()}
                                  for k, v in state.items()}}))
    sys.exit(0)

torch.manual_seed(0)
net = Net()
net(torch.randn(4, 3))  # one training-mode batch, so running stats and num_batches_tracked move
state = net.state_dict()
data = write(state, {"framework": "pytorch", "kiln.format_version": "1"})
back, _ = read(data)
assert all(torch.equal(back[k], state[k]) for k in state)
print(json.dumps({"hex": data.hex(),
                  "tensors": {k: {"dtype": DTYPES[v.dtype], "shape": list(v.shape), "values": v.flatten().tolist()}
                              for k, v in state.items()}}, indent=1))
