/**
 * The text bundled with the site: the Jargon File (public domain; Debian's dict-jargon), which
 * scripts/mnist-assets.ts puts in the site as data/text/jargon.txt.gz. The page's worker fetches
 * it from its own origin once, keeps its bytes in the IndexedDB cache, and reads it through
 * textDataset as the CLI reads the same file from disk (data/node.ts loadTextFile).
 */
import { BUNDLED_TEXT } from './bundled_source';
import { type CachedText, DatasetCache } from './cache';
import { type DownloadOptions, download } from './download';
import { DatasetError } from './errors';
import { defaultBaseUrl } from './mnist';
import type { TextData } from './text';
import { textDataset } from './text_file';

/** The bundled text's dataset name, in the page and the CLI. */
export const BUNDLED_TEXT_NAME = BUNDLED_TEXT.name;

/** Its file in the site, under `<base>data/text/`. */
const SITE_FILE = 'jargon.txt.gz';

/** Options for loading the bundled text in the page's worker. */
export interface LoadBundledTextOptions extends DownloadOptions {
  /** Where the site is served from; by default Vite's BASE_URL against the worker's location. */
  baseUrl?: string;
  /** The cache to read and fill; by default the standard DatasetCache where IndexedDB exists, `false` for none. */
  cache?: DatasetCache | false;
}

/** The bundled text as loaded: where it came from, and why it was not cached if caching failed. */
export interface LoadedText {
  text: TextData;
  fromCache: boolean;
  cacheError?: Error;
}

/**
 * Loads the bundled text from the cache, or else downloads it from the site (with progress),
 * reads it and caches its bytes; cached bytes that do not read as a text are dropped and
 * downloaded again.
 */
export async function loadBundledText(options: LoadBundledTextOptions = {}): Promise<LoadedText> {
  const ownCache = options.cache === undefined && globalThis.indexedDB !== undefined;
  const cache = ownCache ? await DatasetCache.open() : options.cache || undefined;
  try {
    const cached = await cache?.get(BUNDLED_TEXT_NAME, 'builtin');
    if (cached?.kind === 'text') {
      try {
        return { text: (await textDataset(cachedFile(cached), BUNDLED_TEXT_NAME)).text, fromCache: true };
      } catch (e) {
        if (!(e instanceof DatasetError)) throw e;
      }
    }
    const url = new URL(`data/text/${SITE_FILE}`, options.baseUrl ?? defaultBaseUrl(BUNDLED_TEXT_NAME)).href;
    const file = { name: SITE_FILE, bytes: await download(url, SITE_FILE, options) };
    const { text, bytes } = await textDataset(file, BUNDLED_TEXT_NAME);
    if (!cache) return { text, fromCache: false };
    try {
      await cache.putText(bytes, text, url, 'builtin');
      return { text, fromCache: false };
    } catch (e) {
      // Training goes on uncached: only the next visit pays.
      return { text, fromCache: false, cacheError: e as Error };
    }
  } finally {
    if (ownCache) cache?.close();
  }
}

/** A cached text's bytes as the file they came from. */
export function cachedFile(cached: CachedText): { name: string; bytes: Uint8Array } {
  return { name: `${cached.name}.txt`, bytes: cached.bytes };
}
