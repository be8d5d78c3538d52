#!/usr/bin/env node
// `npm run size`: what the package `kiln` adds to an app, in gzipped bytes. Each row is an app
// bundled by esbuild (minified, ES2022, tree-shaken) from the package's entry points
// (src/kiln/*.ts, what `npm run package` bundles; the WGSL kernels are strings inside): one subpath
// imported whole (`export * from 'kiln/nn'`), the whole engine, and the Vite example's training app
// (examples/vite-app/src/main.js, which imports only what it uses). It checks that the training app
// pulls in neither React, recharts nor the TensorBoard writer, and gives TF.js's figure measured
// the same way beside them. `-- --json` prints one object per row.
import { gzipSync } from 'node:zlib';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { rawText, SUBPATHS } from './package.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Resolves `kiln` and `kiln/<subpath>` to the entry files, as an app resolves the package. */
const kilnEntries = {
  name: 'kiln-entries',
  setup(b) {
    b.onResolve({ filter: /^kiln(\/[a-z]+)?$/ }, (a) => ({
      path: join(root, 'src/kiln', `${a.path === 'kiln' ? 'index' : a.path.slice(5)}.ts`),
    }));
  },
};

/** Bundles `contents` (or the file `entry`) as an app would ship it; returns its sizes and inputs. */
export async function measure(name, { contents, entry }) {
  const result = await build({
    ...(entry ? { entryPoints: [entry] } : { stdin: { contents, resolveDir: root, loader: 'ts' } }),
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['webgpu', 'node:*'],
    plugins: [kilnEntries, rawText],
    metafile: true,
    logLevel: 'error',
  });
  const code = result.outputFiles[0].contents;
  return {
    name,
    bytes: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    inputs: Object.keys(result.metafile.inputs).map((f) => relative(root, resolve(root, f.replace(/^raw:/, '')))),
  };
}

/** The inputs of a bundle that a training-only app must not carry: the page's libraries and code, the TensorBoard writer, the exporter. */
export function unwantedInputs(inputs) {
  return inputs.filter((f) =>
    /node_modules\/(react|react-dom|recharts|zustand|d3-[a-z-]+)\/|src\/(ui|worker)\/|src\/train\/(tensorboard|export_pytorch)\.ts/.test(f),
  );
}

/** The Vite example's training app, bundled. */
export const trainingApp = () =>
  measure('a training app: SimpleNN on MNIST (examples/vite-app)', { entry: join(root, 'examples/vite-app/src/main.js') });

async function main() {
  const browserSubpaths = SUBPATHS.filter((s) => s !== 'node');
  const rows = [];
  for (const s of SUBPATHS) {
    const spec = s === 'index' ? 'kiln' : `kiln/${s}`;
    rows.push(await measure(spec, { contents: `export * from '${spec}';` }));
  }
  rows.push(
    await measure('the whole engine (every subpath but kiln/node)', {
      contents: browserSubpaths.map((s, i) => `export * as m${i} from '${s === 'index' ? 'kiln' : `kiln/${s}`}';`).join('\n'),
    }),
  );
  const app = await trainingApp();
  rows.push(app);
  rows.push(
    await measure('TF.js: tfjs-core + tfjs-layers + tfjs-backend-webgpu, whole', {
      contents: [
        "export * from '@tensorflow/tfjs-core';",
        "export * as layers from '@tensorflow/tfjs-layers';",
        "export * as webgpu from '@tensorflow/tfjs-backend-webgpu';",
      ].join('\n'),
    }),
  );

  // A training-only app must not carry the page's libraries or the TensorBoard writer.
  const unwanted = unwantedInputs(app.inputs);
  if (unwanted.length) throw new Error(`the training app bundles ${unwanted.join(', ')}`);
  const wgsl = app.inputs.filter((f) => f.endsWith('.wgsl')).length;

  if (process.argv.includes('--json')) {
    for (const { inputs, ...r } of rows) console.log(JSON.stringify(r));
  } else {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    const width = Math.max(...rows.map((r) => r.name.length));
    console.log(`${'bundle'.padEnd(width)}  ${'minified'.padStart(10)}  ${'gzipped'.padStart(9)}`);
    for (const r of rows) console.log(`${r.name.padEnd(width)}  ${kb(r.bytes).padStart(10)}  ${kb(r.gzip).padStart(9)}`);
    console.log(
      `\nThe training app holds ${wgsl} WGSL files and no React, recharts, zustand, page code, TensorBoard writer or PyTorch exporter.`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
