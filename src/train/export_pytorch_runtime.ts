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


def read_images(images_path, labels_path):
    """An IDX pair as (pixels in [0, 255] as float32, int64 labels)."""
    return read_idx(images_path).to(torch.float32), read_idx(labels_path).to(torch.int64)


# ---- Data: one CSV file (--csv), read by Kiln's rules (src/data/csv.ts) ----

# ASCII digits only, as JavaScript's \d: Python's float() would also take other scripts' digits.
DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
LABEL_NAMES = ("label", "target", "class", "y")
MIN_IMAGE_PIXELS = 64  # fewer features make a table, not an image (scikit-learn's digits are 8x8)
FLOAT32_MAX = 3.4028234663852886e38  # a bigger cell would silently become inf
# What JavaScript's Number() reads besides plain decimals, and pandas' missing values: no class names.
JS_NUMBER = re.compile(r"[+-]?Infinity|0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+")
MISSING = {"", "#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>", "n/a",
           "na", "null", "nan", "none"}
MAX_CLASS_NAME = 100


def is_class_name(cell):
    """Kiln's isClassName: text with a letter in it, not a number in any spelling, not a missing value."""
    return (bool(re.search(r"[^\W\d_]", cell)) and not DECIMAL.fullmatch(cell) and not JS_NUMBER.fullmatch(cell)
            and cell.lower() not in MISSING)


def shown(text, most=40):
    """A cell as a message shows it, as Kiln does: cut short, control characters escaped, so a
    damaged file cannot make the message unreadable."""
    cut = text[:most] + "…" if len(text) > most else text
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m[0]):04x}", cut)


def unquote(cell):
    t = cell.strip()
    return t[1:-1].strip() if len(t) >= 2 and t[0] == t[-1] == '"' else t


def read_csv(path):
    """(features as float32, int64 labels, whether the rows are pixels) of a CSV, plain or gzipped;
    pixel rows come as [N, side, side].

    As Kiln reads it: blank lines skipped; cells split on the delimiter (a comma, else a tab or
    semicolon as the first line shows), trimmed and unquoted (like Kiln, a quoted delimiter is not
    honoured, so the csv module's quoting would read some files differently); the first line a
    header when it holds no number or names the label column; the label column named label, target,
    class or y (any case), else the one column of class names, else the first, or the last when only
    the last holds whole numbers; class names (setosa) numbered in sorted order; a bad cell named by
    its 1-based line and column, as written.
    """
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        sys.exit(f"error: {path}: is not a text file (it is not valid UTF-8), so it cannot be CSV")
    lines = [(n + 1, line) for n, line in enumerate(text.split("\n")) if line.strip()]
    if not lines:
        sys.exit(f"error: {path}: is empty: no rows")
    first = lines[0][1]
    delimiter = next((d for d in (",", "\t", ";") if d in first), ",")
    rows = [(n, [unquote(c) for c in line.split(delimiter)]) for n, line in lines]
    head = rows[0][1]
    not_number = lambda cell: "the cell is empty" if cell == "" else f"'{shown(cell)}' is not a number"
    numbers = [bool(DECIMAL.fullmatch(c)) for c in head]
    names_label = [c.lower() in LABEL_NAMES for c in head]
    # UCI's headerless 5.1,3.5,1.4,0.2,Iris-setosa: numbers and class names, as on the next line.
    named_at = lambda cells: [c for c, cell in enumerate(cells) if is_class_name(cell)]
    data_with_names = (len(rows) > 1 and all(n or is_class_name(c) for n, c in zip(numbers, head))
                       and named_at(head) == named_at(rows[1][1]) and not any(names_label))
    if not all(numbers) and any(numbers) and not any(names_label) and not data_with_names:
        # Names and numbers mixed: more likely a data row with a bad cell than a header.
        c = numbers.index(False)
        sys.exit(f"error: {path}: line {rows[0][0]}, column {c + 1}: {not_number(head[c])}, and the line is no "
                 "header either (it holds numbers, and no column named 'label'): fix the cell, or name every "
                 "column in the header")
    header = head if not all(numbers) and not data_with_names else None
    body = rows[1:] if header else rows
    width = len(head)
    if width < 2 or not body:
        sys.exit(f"error: {path}: needs a label column, at least one feature and one data row")
    texts = [c for c in range(width) if all(is_class_name(cells[c] if c < len(cells) else "") for _, cells in body)]
    if header and any(names_label):
        label_at = names_label.index(True)
    elif len(texts) == 1:
        label_at = texts[0]
    else:
        whole = lambda c: all(re.fullmatch(r"[0-9]+", cells[c] if c < len(cells) else "") for _, cells in body)
        label_at = width - 1 if not whole(0) and whole(width - 1) else 0

    def bad(n, c, what):
        named = f" ('{shown(header[c])}')" if header else ""
        sys.exit(f"error: {path}: line {n}, column {c + 1}{named}: {what}")

    names = all(is_class_name(cells[label_at] if label_at < len(cells) else "") for _, cells in body)
    classes = {name: i for i, name in enumerate(sorted({cells[label_at] for _, cells in body}))} if names else None
    features, labels = [], []
    for n, cells in body:
        if len(cells) != width:
            sys.exit(f"error: {path}: line {n} has {len(cells)} cells, expected {width} (as on line {rows[0][0]})")
        for c, cell in enumerate(cells):
            value = float(cell) if DECIMAL.fullmatch(cell) else math.nan
            if c == label_at and classes and len(cell) > MAX_CLASS_NAME:
                bad(n, c, f"the class name is {len(cell)} characters long, over the {MAX_CLASS_NAME} Kiln keeps")
            if c == label_at and not classes and not (value.is_integer() and value >= 0):
                other = next((o for o in body if not is_class_name(o[1][c] if c < len(o[1]) else "")), None) \
                    if is_class_name(cell) else None
                bad(n, c, f"label '{shown(cell)}' " + (
                    f"is a class name, but line {other[0]}'s label '{shown(other[1][c])}' is not: give every row a "
                    "class name, or every row a class index" if other else "is not a non-negative integer"))
            if c != label_at and not abs(value) <= FLOAT32_MAX:
                bad(n, c, not_number(cell) if math.isnan(value) else f"'{shown(cell)}' is too large for a float32")
        labels.append(classes[cells[label_at]] if classes else int(float(cells[label_at])))
        features.append([float(x) for c, x in enumerate(cells) if c != label_at])
    x = torch.tensor(features, dtype=torch.float32)
    side = math.isqrt(x.shape[1])
    pixels = (side * side == x.shape[1] and x.shape[1] >= MIN_IMAGE_PIXELS and max(labels) < 256
              and bool(((x >= 0) & (x <= 255) & (x == x.round())).all()))
    return (x.reshape(-1, side, side) if pixels else x), torch.tensor(labels, dtype=torch.int64), pixels


def load_datasets(data_dir, csv_path, limit):
    """The training and validation sets as Kiln makes them: the seeded hold-out (or the test set),
    the first --limit training samples; pixels as ToTensor() + Normalize(mean, std) (the config's, else
    computed on the training rows as Kiln computes them), a table's
    features standardised with the mean and (population) std of the training rows alone."""
    if csv_path:
        x, y, pixels = read_csv(csv_path)
        test = None
    else:
        x, y = read_images(find_idx(data_dir, "train_images"), find_idx(data_dir, "train_labels"))
        pixels = True
        images, labels = find_idx(data_dir, "test_images", False), find_idx(data_dir, "test_labels", False)
        test = read_images(images, labels) if images and labels else None
    # A reshape would take samples of the wrong size silently when the counts happen to divide.
    shape = ([1] if pixels else []) + list(x.shape[1:])
    if shape != list(INPUT_SHAPE):
        sys.exit(f"error: {csv_path or data_dir}: its samples are {shape}, the model takes {list(INPUT_SHAPE)}")
    split = CONFIG["valSplit"]
    rows = list(range(len(y)))
    val_rows = None
    if split > 0:
        # Kiln draws its hold-out with its own generator: the sizes agree, the samples differ.
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(CONFIG["seed"])).tolist()
        val_rows, rows = order[:split], order[split:]
    elif test is None:
        where = csv_path or f"{data_dir} has no t10k test files"
        sys.exit(f"error: {where}: no test set to validate on; export with a validation split instead")
    if limit is not None:
        rows = rows[:limit]

    if pixels:
        # Kiln's pixelStats where the config gives none: the training rows' pixels in [0, 1], counted
        # per byte value (exact, as Kiln counts them), population std, 1 for images of one shade.
        counts = torch.bincount(x[rows].flatten().to(torch.int64), minlength=256).double()
        shades = torch.arange(256, dtype=torch.float64) / 255
        computed_mean = float((counts * shades).sum() / counts.sum())
        computed_std = float(((counts * (shades - computed_mean) ** 2).sum() / counts.sum()).sqrt()) or 1.0
        mean = CONFIG["mean"] if CONFIG["mean"] is not None else computed_mean
        std = CONFIG["std"] if CONFIG["std"] is not None else computed_std
        standardised = lambda v: v.div(255).sub(mean).div(std).reshape(-1, *INPUT_SHAPE)
    else:
        # Kiln's featureStats: float64, population std, and std 1 for a feature constant over the
        # training rows (it then scales to 0, not NaN); applied in float64 too, then stored as float32.
        train_x = x[rows].double()
        mean, std = train_x.mean(0), train_x.std(0, unbiased=False)
        std[std == 0] = 1
        standardised = lambda v: v.double().sub(mean).div(std).float()
    full = TensorDataset(standardised(x), y)
    val = Subset(full, val_rows) if val_rows is not None else TensorDataset(standardised(test[0]), test[1])
    return Subset(full, rows), val


# ---- Data: a text file (--text), read as Kiln reads it (src/data/text.ts) ----

TRAIN_FRACTION = 0.9  # nanoGPT's split by position: the first 90% trains, the rest validates


def read_text(path):
    """A text file's characters as Kiln reads them (gzip told by its content, UTF-8 with a BOM
    dropped), refused in one line when it cannot be a text to train on."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if not data:
        sys.exit(f"error: {path} is empty: there is no text to train on")
    if b"\0" in data:
        sys.exit(f"error: {path} is a binary file, not text (a NUL byte at offset {data.index(0)})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        sys.exit(f"error: {path} is not UTF-8 text (a binary file, or another encoding: save it as UTF-8)")


def load_text(path, block_size):
    """(vocab, train ids, validation ids): the file's characters sorted by code point (one id
    each, as Kiln's buildVocab and nanoGPT's prepare.py), the ids split 90/10 by position."""
    text = read_text(path)
    vocab = "".join(sorted(set(text)))
    if len(vocab) < 2:
        sys.exit(f"error: {path} holds one character only ({json.dumps(vocab)}): there is nothing to learn")
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.int64)
    n = math.floor(len(ids) * TRAIN_FRACTION)
    train, val = ids[:n], ids[n:]
    for part, name, where in ((train, "training", "the first 90%"), (val, "validation", "the last 10%")):
        if len(part) < block_size + 1:
            sys.exit(f"error: the block size ({block_size}) is longer than the {name} text of {path} "
                     f"({len(part)} characters, {where}): a block size of {max(1, len(part) - 1)} or less, or a longer text")
    return vocab, train, val


def windows(ids, starts, block_size):
    """The windows of block_size ids at starts ([B, T]) and their labels: the next id at every
    position ([B, T]) or the id after the window ([B]), as TEXT_TARGET says."""
    at = starts[:, None] + torch.arange(block_size)
    return ids[at], (ids[at + 1] if TEXT_TARGET == "every" else ids[starts + block_size])


def get_batch(train, batch_size, block_size, generator):
    """nanoGPT's get_batch: windows at uniformly random offsets, drawn with replacement (Kiln's
    RandomSampler draws the same kind of offsets from its own generator: other windows)."""
    starts = torch.randint(len(train) - block_size, (batch_size,), generator=generator)
    return windows(train, starts, block_size)


def flat(logits, labels):
    """Scores and labels with each position a sample ([B, T, V] as [B*T, V]), as
    CrossEntropyLoss takes them."""
    return logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)


def evaluate_text(model, val, batch_size, block_size, device):
    """Mean cross-entropy in nats per character over the whole validation text, each character
    predicted once as Kiln's evaluation does: consecutive windows for a model predicting at every
    position, windows at every offset for one predicting after the window. Returns (loss, count)."""
    starts = torch.arange(0, len(val) - block_size, block_size if TEXT_TARGET == "every" else 1)
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in starts.split(batch_size):
            x, y = windows(val, batch, block_size)
            logits, labels = flat(model(x.to(device)), y.to(device))
            total += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
            count += labels.numel()
    model.train()
    return total / count, count


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
    """Loads a Kiln state dict or full checkpoint; returns the epochs already done (a run in
    steps: the steps) and the text's vocabulary the file names (None when it names none)."""
    tensors, metadata = read_safetensors(path)
    if "kiln.checkpoint" not in metadata:
        model.load_state_dict(tensors)
        return 0, metadata.get("vocab")
    meta = json.loads(metadata["kiln.checkpoint"])
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    # Kiln numbers optimizer state by parameter across its groups in order, as torch.optim does.
    params = [p for group in optimizer.param_groups for p in group["params"]]
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
    if TEXT_TARGET is not None:
        print(f"Resumed a Kiln checkpoint after step {meta['globalStep']}, last loss {meta['loss']}", file=sys.stderr)
        return meta["globalStep"], meta.get("vocab")
    where = f"epoch {meta['epoch']}" + (f", batch {meta['loader']['batch']} (the epoch restarts)" if meta["loader"]["batch"] else "")
    print(f"Resumed a Kiln checkpoint after {where}, last loss {meta['loss']}", file=sys.stderr)
    return meta["epoch"], None


def load_resume(path, model, optimizer, scheduler):
    """Returns the epoch to start from (a run in steps: the step) and the file's vocabulary (None
    when it has none): a Kiln safetensors file, or this script's torch.save checkpoint, told apart
    by their content (a Kiln file may be saved under any name)."""
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
    return checkpoint["step" if TEXT_TARGET is not None else "epoch"], checkpoint.get("vocab")


# ---- The optimizer's parameter groups ----

def decay_groups(model, weight_decay):
    """nanoGPT's parameter groups as Kiln makes them (src/train/factories.ts decayGroups): weight
    matrices decay, biases, norm weights and embeddings (token and position) do not; in
    model.parameters() order, the decaying group first, an empty group left out."""
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    params = list(model.parameters())
    decay = [p for p in params if p.dim() >= 2 and id(p) not in embeddings]
    rest = [p for p in params if p.dim() < 2 or id(p) in embeddings]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


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


def step_scheduler_after_eval(scheduler, val_loss):
    """An epoch scheduler steps after each validation (a run in steps: each evaluation), the
    plateau scheduler on its loss, as Kiln's endEpoch."""
    if SCHEDULER_EVERY == "epoch":
        scheduler.step()
    elif SCHEDULER_EVERY == "plateau":
        scheduler.step(val_loss)


def train_text(args, model, optimizer, scheduler, criterion, device, start_step, text):
    """A run in steps on a text, as Kiln trains one: random windows, an evaluation over the whole
    validation text every evalEvery steps and at the end, one JSON line and a checkpoint each."""
    vocab, train, val = text
    block_size, batch_size, every = CONFIG["blockSize"], args.batch_size, CONFIG["evalEvery"]
    if args.eval_only:
        val_loss, count = evaluate_text(model, val, batch_size, block_size, device)
        print(json.dumps({"step": start_step, "val_loss": val_loss, "val_bpc": val_loss / math.log(2),
                          "perplexity": math.exp(val_loss), "val_samples": count}), flush=True)
        return
    generator = torch.Generator().manual_seed(CONFIG["seed"])
    step = start_step
    while step < args.steps:
        # An interval ends at the next multiple of evalEvery (a resumed run finishes its own).
        end = min(args.steps, (step // every + 1) * every)
        lr = optimizer.param_groups[0]["lr"]
        running, done, started = 0.0, 0, time.perf_counter()
        while step < end:
            x, y = get_batch(train, batch_size, block_size, generator)
            optimizer.zero_grad()
            loss = criterion(*flat(model(x.to(device)), y.to(device)))
            loss.backward()
            clip_gradients(model.parameters())
            optimizer.step()
            if SCHEDULER_EVERY == "batch":
                scheduler.step()
            running += loss.item()
            done += 1
            step += 1
        seconds = time.perf_counter() - started
        val_loss, _ = evaluate_text(model, val, batch_size, block_size, device)
        step_scheduler_after_eval(scheduler, val_loss)
        print(json.dumps({"step": step, "train_loss": running / done, "val_loss": val_loss,
                          "val_bpc": val_loss / math.log(2), "perplexity": math.exp(val_loss), "lr": lr,
                          "tokens_per_s": done * batch_size * block_size / seconds}), flush=True)
        torch.save({
            "step": step,  # steps done: resume goes on from here
            "vocab": vocab,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict() if scheduler is not None else None,
            "loss": running / done,
        }, args.checkpoint)
    if args.save:
        write_safetensors(args.save, model.state_dict(), {"format": "pt", "vocab": vocab})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--data-dir", help="folder with the MNIST IDX files (plain or .gz)")
    data.add_argument("--csv", help="one CSV file (plain or .gz): a label column and numeric features")
    data.add_argument("--text", help="a UTF-8 text file (plain or .gz), for a text model: its characters are the vocabulary")
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"], help="epochs in all, resumed ones included")
    parser.add_argument("--steps", type=int, default=CONFIG["steps"], help="a text run's optimizer steps in all, resumed ones included")
    parser.add_argument("--resume", help="a Kiln safetensors state dict or checkpoint, or a .pt from this script (any name)")
    parser.add_argument("--eval-only", action="store_true", help="evaluate the --resume weights on the validation set, print one JSON line")
    parser.add_argument("--checkpoint", default="checkpoint.pt", help="where to save the checkpoint after each epoch (a text run: each evaluation)")
    parser.add_argument("--save", help="also write the final model as a .safetensors state dict (Kiln loads it)")
    parser.add_argument("--batch-size", type=int, default=CONFIG["batchSize"], help="per process under torchrun")
    parser.add_argument("--limit", type=int, default=CONFIG["limit"], help="train on the first N samples only")
    args = parser.parse_args()
    if (args.text is None) != (TEXT_TARGET is None):
        parser.error("this model reads text: give --text FILE" if TEXT_TARGET is not None else "--text needs a model exported from a text run")
    if args.eval_only and not args.resume:
        parser.error("--eval-only evaluates loaded weights: give --resume FILE")

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed and TEXT_TARGET is not None:
        sys.exit("error: a text run trains in one process here: run it without torchrun")
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

    if TEXT_TARGET is not None:
        text = load_text(args.text, CONFIG["blockSize"])
        if len(text[0]) != CLASSES:
            sys.exit(f"error: {args.text} has {len(text[0])} characters, the model scores {CLASSES}: give the text it was exported for")
        # A text run's scheduler counts steps; OneCycleLR's length is Kiln's (epochs x evalEvery).
        train_loader, epochs, steps_per_epoch = None, CONFIG["epochs"], CONFIG["evalEvery"]
    else:
        train_set, val_set = load_datasets(args.data_dir, args.csv, args.limit)
        sampler = None
        if distributed:
            sampler = torch.utils.data.distributed.DistributedSampler(
                train_set, num_replicas=world, rank=rank, shuffle=CONFIG["shuffle"], seed=CONFIG["seed"])
            train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
        else:
            generator = torch.Generator().manual_seed(CONFIG["seed"])
            train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=CONFIG["shuffle"], generator=generator)
        val_loader = DataLoader(val_set, batch_size=1000)
        epochs, steps_per_epoch = args.epochs, len(train_loader)

    # The model moves before the optimizer exists, so loaded optimizer state lands on its device.
    model = make_model().to(device)
    optimizer = make_optimizer(model)
    scheduler = make_scheduler(optimizer, epochs, steps_per_epoch)
    start, vocab = load_resume(args.resume, model, optimizer, scheduler) if args.resume else (0, None)
    criterion = make_criterion()
    if TEXT_TARGET is not None:
        if vocab is not None and vocab != text[0]:
            sys.exit(f"error: {args.resume} was trained on another vocabulary than {args.text}'s: give the text it trained on")
        train_text(args, model, optimizer, scheduler, criterion, device, start, text)
        return
    if args.eval_only:
        val_loss, val_acc = evaluate(model, val_loader, criterion, device)
        print(json.dumps({"epoch": start, "val_loss": val_loss, "val_acc": val_acc, "val_samples": len(val_set)}), flush=True)
        return
    net = model
    if distributed:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    for epoch in range(start, args.epochs):
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
        step_scheduler_after_eval(scheduler, val_loss)
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
