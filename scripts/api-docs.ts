import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Plugin } from 'vite';

/**
 * The package's typed API docs in the site, under docs/: TypeDoc (tools/docs, a workspace with the
 * TypeScript 6 TypeDoc needs) renders the doc comments of the public entry points (src/kiln/*.ts)
 * with src/kiln/README.md as the front page. `vite build` (and so `npm start`) emits them into
 * dist/docs/, where the service worker precaches them with the app, so they open offline too. They
 * are built into node_modules/.cache, not the repository's docs/ (the README's screenshots), and
 * kept there keyed by a hash of the sources, so a build whose sources did not change reuses them.
 */

const ROOT = resolve(import.meta.dirname, '..');
const TOOL = join(ROOT, 'tools/docs');

/** Every file under a folder, relative paths. */
function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** A hash of what the docs are made from: the sources, the package README and TypeDoc's config. */
function sourceHash(): string {
  const hash = createHash('sha256');
  const files = [
    ...walk(join(ROOT, 'src'))
      .filter((f) => /\.tsx?$|README\.md$/.test(f) && !/\.test\.tsx?$/.test(f))
      .map((f) => join('src', f)),
    'tools/docs/typedoc.json',
    'tools/docs/package.json',
    'tsconfig.package.json',
  ].sort();
  for (const f of files) hash.update(f).update('\0').update(readFileSync(join(ROOT, f))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Builds the docs (or finds them built) and returns their folder. */
export async function buildApiDocs(): Promise<string> {
  const bin = join(TOOL, 'node_modules/.bin/typedoc');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm ci at the repository's root (it installs tools/docs)`);
  const cache = join(ROOT, 'node_modules/.cache/kiln/api-docs');
  const out = join(cache, sourceHash());
  if (existsSync(join(out, 'index.html'))) return out;
  const temp = `${cache}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  await promisify(execFile)(bin, ['--options', 'typedoc.json', '--out', temp], { cwd: TOOL });
  // Older builds go; the new one takes its place whole, so a build never sees half of one.
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  renameSync(temp, out);
  return out;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The Vite plugin: in a build, every file of the API docs as an asset under docs/; on the dev
 * server (`npm run dev`), the same files at <base>docs/, built on the first request.
 */
export function apiDocs(): Plugin {
  let base = '/';
  return {
    name: 'kiln:api-docs',
    configResolved(config) {
      base = config.base;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]);
        if (!path.startsWith(`${base}docs/`)) return next();
        buildApiDocs().then((dir) => {
          const rel = path.slice(`${base}docs/`.length) || 'index.html';
          const file = resolve(dir, rel.endsWith('/') ? `${rel}index.html` : rel);
          if (!file.startsWith(dir) || !existsSync(file)) return next();
          res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
          res.end(readFileSync(file));
        }, next);
      });
    },
    async generateBundle() {
      const dir = await buildApiDocs();
      for (const f of walk(dir)) {
        this.emitFile({ type: 'asset', fileName: `docs/${f}`, source: readFileSync(join(dir, f)) });
      }
    },
  };
}
