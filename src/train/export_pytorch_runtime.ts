/**
 * The fixed part of an exported train.py (data, file formats, resume, the loop), after the
 * run-specific definitions that export_pytorch.ts writes: make_model, make_optimizer,
 * make_scheduler, make_criterion, clip_gradients, CONFIG, INPUT_SHAPE and SCHEDULER_EVERY.
 * Plain text rather than a .py file so the browser bundle can write it too.
 */
export const TRAIN_PY_RUNTIME = String.raw`

# ---- Data: MNIST IDX files, plain or gzipped, normalised as ToTensor() + Normalize(mean, std) ----

IDX_NAMES = {
    "train_images": ["train-images-idx3-ubyte", "train-images.idx3-ubyte"],
    "train_labels": ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"],
    "test_images": ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"],
    "test_labels": ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"],
}


def find_idx(data_dir, role, required=True):
    for name in IDX_NAMES[role]:
        for candidate in (name, name + ".gz"):
            path = os.path.join(data_dir, candidate)
            if os.path.exists(path):
                return path
    if required:
        sys.exit(f"error: {data_dir} has no {IDX_NAMES[role][0]} (plain or .gz)")
    return None


def read_idx(path):
    """An unsigned-byte IDX file (gzipped or not, told by its content) as a uint8 tensor of its shape."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4:
        sys.exit(f"error: {path} is truncated")
    zero, kind, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        sys.exit(f"error: {path} is not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    count = math.prod(dims)
    body = bytearray(data[4 + 4 * rank:4 + 4 * rank + count])
    if len(body) != count:
        sys.exit(f"error: {path} is truncated")
    return torch.frombuffer(body, dtype=torch.uint8).reshape(dims)


def image_dataset(images_path, labels_path):
    mean, std = CONFIG["mean"], CONFIG["std"]
    x = read_idx(images_path).to(torch.float32).div(255).sub(mean).div(std).reshape(-1, *INPUT_SHAPE)
    return TensorDataset(x, read_idx(labels_path).to(torch.int64))


def load_datasets(data_dir, limit):
    train = image_dataset(find_idx(data_dir, "train_images"), find_idx(data_dir, "train_labels"))
    split = CONFIG["valSplit"]
    if split > 0:
        # Kiln draws its hold-out with its own generator: the sizes agree, the samples differ.
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(CONFIG["seed"])).tolist()
        val, train = Subset(train, order[:split]), Subset(train, order[split:])
    else:
        images, labels = find_idx(data_dir, "test_images", False), find_idx(data_dir, "test_labels", False)
        if images is None or labels is None:
            sys.exit(f"error: {data_dir} has no t10k test files; export with a validation split instead")
        val = image_dataset(images, labels)
    if limit is not None:
        train = Subset(train, range(min(limit, len(train))))
    return train, val


# ---- Files: safetensors (Kiln's format) with a few lines of our own when the package is absent ----

ST_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
             "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
             "U8": torch.uint8, "BOOL": torch.bool}
ST_NAMES = {torch.float32: "F32", torch.int64: "I64"}


def is_safetensors(path):
    """Whether a file is safetensors by its content, whatever its name: an 8-byte little-endian
    header length that fits in the file, then the header's JSON object."""
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) < 9:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return head[8:9] == b"{" and n <= os.path.getsize(path) - 8


def read_safetensors(path):
    """(tensors, metadata) of a .safetensors file: 8-byte LE header length, JSON header, raw data."""
    try:
        from safetensors import safe_open
    except ImportError:
        safe_open = None
    if safe_open is not None:
        with safe_open(path, framework="pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = ST_DTYPES[info["dtype"]]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
    return tensors, metadata


def tensor_bytes(t):
    try:
        return t.numpy().tobytes()
    except (ImportError, RuntimeError):  # torch built without numpy
        return bytes(t.reshape(-1).view(torch.uint8).tolist())


def write_safetensors(path, tensors, metadata):
    """A state dict as .safetensors (F32, I64 counters), which Kiln's --init and loader read."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        blob = tensor_bytes(t)
        header[name] = {"dtype": ST_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def snake(name):
    """Kiln's camelCase hyperparameter names as PyTorch spells them (weightDecay -> weight_decay)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def load_kiln(path, model, optimizer, scheduler):
    """Loads a Kiln state dict or full checkpoint; returns the epochs already done."""
    tensors, metadata = read_safetensors(path)
    if "kiln.checkpoint" not in metadata:
        model.load_state_dict(tensors)
        return 0
    meta = json.loads(metadata["kiln.checkpoint"])
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    # Kiln numbers optimizer state by parameter in model.parameters() order, as torch.optim does.
    params = list(model.parameters())
    state = {}
    for i, step in meta["optimizerSteps"].items():
        prefix = f"optimizer.state.{i}."
        entry = {k[len(prefix):]: v.reshape(params[int(i)].shape).clone() for k, v in tensors.items() if k.startswith(prefix)}
        entry["step"] = torch.tensor(float(step))
        state[int(i)] = entry
    sd = optimizer.state_dict()
    for group, saved in zip(sd["param_groups"], meta["paramGroups"]):
        for key, value in saved.items():
            key = snake(key)
            if key != "params" and key in group:
                group[key] = tuple(value) if isinstance(group[key], tuple) else value
    sd["state"] = state
    optimizer.load_state_dict(sd)
    if scheduler is not None and meta.get("scheduler"):
        # The counters; the hyperparameters are this script's own, the same as the run's.
        names = {"lastEpoch": "last_epoch", "baseLrs": "base_lrs", "lastLr": "_last_lr", "best": "best",
                 "numBadEpochs": "num_bad_epochs", "cooldownCounter": "cooldown_counter"}
        for key, value in meta["scheduler"].items():
            if key in names and hasattr(scheduler, names[key]):
                setattr(scheduler, names[key], float(value) if key == "best" else value)
    where = f"epoch {meta['epoch']}" + (f", batch {meta['loader']['batch']} (the epoch restarts)" if meta["loader"]["batch"] else "")
    print(f"Resumed a Kiln checkpoint after {where}, last loss {meta['loss']}", file=sys.stderr)
    return meta["epoch"]


def load_resume(path, model, optimizer, scheduler):
    """Returns the epoch to start from: a Kiln safetensors file, or this script's torch.save
    checkpoint, told apart by their content (a Kiln file may be saved under any name)."""
    if is_safetensors(path):
        return load_kiln(path, model, optimizer, scheduler)
    try:
        checkpoint = torch.load(path, map_location="cpu")
    except Exception as e:
        sys.exit(f"error: {path} is neither a safetensors file (Kiln's) nor a checkpoint this script saved ({e})")
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    if scheduler is not None and checkpoint.get("scheduler_state_dict"):
        scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    return checkpoint["epoch"]


# ---- The loop ----

def evaluate(model, loader, criterion, device):
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            outputs = model(images)
            total += criterion(outputs, labels).item() * labels.size(0)
            correct += (outputs.argmax(1) == labels).sum().item()
            count += labels.size(0)
    return total / count, correct / count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, help="folder with the MNIST IDX files (plain or .gz)")
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"], help="epochs in all, resumed ones included")
    parser.add_argument("--resume", help="a Kiln safetensors state dict or checkpoint, or a .pt from this script (any name)")
    parser.add_argument("--checkpoint", default="checkpoint.pt", help="where to save the checkpoint after each epoch")
    parser.add_argument("--save", help="also write the final model as a .safetensors state dict (Kiln loads it)")
    parser.add_argument("--batch-size", type=int, default=CONFIG["batchSize"], help="per process under torchrun")
    parser.add_argument("--limit", type=int, default=CONFIG["limit"], help="train on the first N samples only")
    args = parser.parse_args()

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    else:
        rank, world = 0, 1
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(CONFIG["seed"])

    train_set, val_set = load_datasets(args.data_dir, args.limit)
    sampler = None
    if distributed:
        sampler = torch.utils.data.distributed.DistributedSampler(
            train_set, num_replicas=world, rank=rank, shuffle=CONFIG["shuffle"], seed=CONFIG["seed"])
        train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    else:
        generator = torch.Generator().manual_seed(CONFIG["seed"])
        train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=CONFIG["shuffle"], generator=generator)
    val_loader = DataLoader(val_set, batch_size=1000)

    # The model moves before the optimizer exists, so loaded optimizer state lands on its device.
    model = make_model().to(device)
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer, args.epochs, len(train_loader))
    start_epoch = load_resume(args.resume, model, optimizer, scheduler) if args.resume else 0
    net = model
    if distributed:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    criterion = make_criterion()

    for epoch in range(start_epoch, args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        lr = optimizer.param_groups[0]["lr"]
        running_loss = 0.0
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(net(images), labels)
            loss.backward()
            clip_gradients(model.parameters())
            optimizer.step()
            if SCHEDULER_EVERY == "batch":
                scheduler.step()
            running_loss += loss.item()
        train_loss = running_loss / len(train_loader)
        # Every process evaluates the whole validation set: the same numbers everywhere, as the
        # plateau scheduler needs, with no gather.
        val_loss, val_acc = evaluate(model, val_loader, criterion, device)
        if SCHEDULER_EVERY == "epoch":
            scheduler.step()
        elif SCHEDULER_EVERY == "plateau":
            scheduler.step(val_loss)
        if rank == 0:
            print(json.dumps({"epoch": epoch + 1, "train_loss": train_loss, "val_loss": val_loss,
                              "val_acc": val_acc, "lr": lr, "world_size": world}), flush=True)
            torch.save({
                "epoch": epoch + 1,  # epochs done: resume starts at range(epoch, num_epochs)
                "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "scheduler_state_dict": scheduler.state_dict() if scheduler is not None else None,
                "loss": train_loss,
            }, args.checkpoint)
    if rank == 0 and args.save:
        write_safetensors(args.save, model.state_dict(), {"format": "pt"})
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
