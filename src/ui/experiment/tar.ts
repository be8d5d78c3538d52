/**
 * A small writer of tar archives (POSIX ustar, what `tar -xf` and every unarchiver read): files
 * and the folders holding them, so a set of TensorBoard log folders downloads as one file.
 */

/** One file of an archive: its '/'-separated path and its bytes. */
export interface TarFile {
  path: string;
  bytes: Uint8Array;
}

const BLOCK = 512;

/** The longest path ustar holds: a 155-byte prefix (the folders), '/', a 100-byte name. */
const MAX_NAME = 100;
const MAX_PREFIX = 155;

/** `path` split into ustar's prefix and name fields; throws when it cannot fit them. */
function splitPath(path: string): [prefix: string, name: string] {
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  if (bytes(path) <= MAX_NAME) return ['', path];
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const [prefix, name] = [path.slice(0, i), path.slice(i + 1)];
    if (bytes(prefix) <= MAX_PREFIX && bytes(name) <= MAX_NAME && name) return [prefix, name];
  }
  throw new Error(`the path ${JSON.stringify(path)} is too long for a tar archive (ustar)`);
}

/** One 512-byte ustar header. */
function header(path: string, size: number, mtime: number, directory: boolean): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const enc = new TextEncoder();
  const put = (at: number, len: number, text: string) => h.set(enc.encode(text).subarray(0, len), at);
  // Numbers are octal text, NUL-terminated, zero-padded to the field's width.
  const octal = (at: number, len: number, n: number) =>
    put(at, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
  const [prefix, name] = splitPath(path);
  put(0, 100, name);
  octal(100, 8, directory ? 0o755 : 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, Math.max(0, Math.floor(mtime)));
  put(148, 8, '        '); // the checksum counts its own field as spaces
  put(156, 1, directory ? '5' : '0');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(345, 155, prefix);
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/**
 * The tar archive of `files`, each folder on their paths entered once before its first file, all
 * dated `mtime` (seconds since the epoch). Paths are relative ('/'-separated, no '..').
 */
export function tar(files: readonly TarFile[], mtime = Date.now() / 1000): Uint8Array {
  const parts: Uint8Array[] = [];
  const folders = new Set<string>();
  for (const f of files) {
    const steps = f.path.split('/');
    if (!f.path || f.path.startsWith('/') || steps.some((s) => s === '' || s === '.' || s === '..'))
      throw new Error(`a tar path must be relative and plain, got ${JSON.stringify(f.path)}`);
    for (let i = 1; i < steps.length; i++) {
      const folder = `${steps.slice(0, i).join('/')}/`;
      if (!folders.has(folder)) {
        folders.add(folder);
        parts.push(header(folder, 0, mtime, true));
      }
    }
    parts.push(header(f.path, f.bytes.length, mtime, false), f.bytes);
    const pad = (BLOCK - (f.bytes.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
  }
  // The end of the archive: two zero blocks.
  parts.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
