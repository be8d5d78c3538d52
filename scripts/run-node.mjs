#!/usr/bin/env node
// Runs a TypeScript entry point (src/cli/*.ts, bench/*.ts) in Node: esbuild bundles it into one
// file, loading `*.wgsl?raw` imports as text the way Vite does in the browser, then runs it with
// the remaining arguments. `--bundle-only OUT` writes the bundle and stops (for the GPU machine).
//
// The bundle runs in this process, not a child: a signal sent to this PID (kill, Ctrl-C, a
// supervisor stopping `npm run train`) reaches the program itself, once, and the program's exit
// code, or its death by a signal, is this process's own. A child would need every signal
// forwarded, and Ctrl-C, which the terminal sends to the whole process group, would reach it twice.
// package.json's scripts `exec` it: npm passes SIGTERM to its child, which must be this process and
// not the shell before it (a shell dies of it and leaves this process training, orphaned).
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, stop } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
let out = join(root, 'node_modules/.cache/kiln', `${entry.replace(/[/\\.:]/g, '_')}.mjs`);
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
  entryPoints: [resolve(root, entry)],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: out,
  external: ['webgpu', 'esbuild'],
  plugins: [rawText],
  // The package's entry points, as in tsconfig.json's paths: kiln/nn is src/kiln/nn.ts.
  alias: { kiln: resolve(root, 'src/kiln') },
  // Bundled CommonJS dependencies (TF.js) need require() inside an ES module. Every module of a
  // bundle shares its import.meta.url: the entry's path, said here, tells an entry point imported by
  // another (the sweep runs train's) that it is not the program (src/cli/shell.ts's isEntry).
  banner: {
    js: `import { createRequire as __kilnRequire } from 'node:module'; const require = __kilnRequire(import.meta.url); globalThis.kilnEntry = ${JSON.stringify(relative(root, resolve(root, entry)).split(sep).join('/'))};`,
  },
  logLevel: 'error',
  sourcemap: 'inline',
});
// esbuild's service process is not needed while the program runs.
await stop();
if (!only) {
  process.setSourceMapsEnabled(true);
  process.argv = [process.argv[0], out, ...args];
  await import(pathToFileURL(out).href);
}
