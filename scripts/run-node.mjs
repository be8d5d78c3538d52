#!/usr/bin/env node
// Runs a TypeScript entry point (src/cli/*.ts, bench/*.ts) in Node: esbuild bundles it into one
// file, loading `*.wgsl?raw` imports as text the way Vite does in the browser, then runs it with
// the remaining arguments. `--bundle-only OUT` writes the bundle and stops (for the GPU machine).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
let out = join(root, 'node_modules/.cache/kiln', `${entry.replace(/[/\\.]/g, '_')}.mjs`);
const only = args[0] === '--bundle-only';
if (only) out = resolve(args[1]);

const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};

await mkdir(dirname(out), { recursive: true });
await build({
  entryPoints: [join(root, entry)],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: out,
  external: ['webgpu', 'esbuild'],
  plugins: [rawText],
  // Bundled CommonJS dependencies (TF.js) need require() inside an ES module.
  banner: { js: "import { createRequire as __kilnRequire } from 'node:module'; const require = __kilnRequire(import.meta.url);" },
  logLevel: 'error',
  sourcemap: 'inline',
});
if (!only) {
  const r = spawnSync(process.execPath, ['--enable-source-maps', out, ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
