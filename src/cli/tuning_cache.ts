/**
 * The matmul autotuner's choices kept on disk per adapter, so a CLI run does not time the same
 * shapes again at every start (the page keeps them in IndexedDB, see worker/tuning.ts). One JSON
 * file per adapter under `$KILN_CACHE_DIR`, else `$XDG_CACHE_HOME/kiln`, else `~/.cache/kiln`.
 * Losing them costs only that time again, so a missing, corrupt or unwritable file is ignored.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { asideName } from './paths';

/** What a tuning file holds: the adapter it was timed on, and the variant chosen per shape. */
interface TuningFile {
  adapterKey: string;
  chosen: Record<string, string>;
}

/** The cache folder: KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KILN_CACHE_DIR) return env.KILN_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kiln');
}

/** The file of one adapter: its key hashed, since keys hold any character a file name cannot. */
export function tuningFile(adapterKey: string, dir = cacheDir()): string {
  const hash = createHash('sha256').update(adapterKey).digest('hex').slice(0, 16);
  return join(dir, `tuning-${hash}.json`);
}

/**
 * A regular file's text, or null for anything else: opened without blocking, since opening a FIFO
 * for reading waits for a writer, for ever at start-up.
 */
async function readRegular(path: string): Promise<string | null> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return (await handle.stat()).isFile() ? await handle.readFile('utf8') : null;
  } finally {
    await handle.close();
  }
}

/**
 * The choices saved for this adapter: {} when there is no file, or it is not one of ours for this
 * adapter (a FIFO, a device or a folder in its place included). Values that are not strings are
 * dropped; the tuner itself ignores unknown variants.
 */
export async function loadTuning(adapterKey: string, dir = cacheDir()): Promise<Record<string, string>> {
  try {
    const text = await readRegular(tuningFile(adapterKey, dir));
    if (text === null) return {};
    const saved = JSON.parse(text) as Partial<TuningFile>;
    if (saved?.adapterKey !== adapterKey || typeof saved.chosen !== 'object' || saved.chosen === null)
      return {};
    return Object.fromEntries(Object.entries(saved.chosen).filter(([, v]) => typeof v === 'string'));
  } catch {
    return {};
  }
}

/**
 * Saves this adapter's choices, replacing the file atomically (written aside, then renamed), so a
 * concurrent run or a crash never leaves half a file.
 */
export async function saveTuning(
  adapterKey: string,
  chosen: Record<string, string>,
  dir = cacheDir(),
): Promise<void> {
  const file = tuningFile(adapterKey, dir);
  const aside = asideName(file, '.tmp');
  const content: TuningFile = { adapterKey, chosen };
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(aside, `${JSON.stringify(content, null, 2)}\n`, { flag: 'wx' });
    await rename(aside, file);
  } catch {
    // An unwritable cache only means tuning again next time.
    await rm(aside, { force: true }).catch(() => {});
  }
}
