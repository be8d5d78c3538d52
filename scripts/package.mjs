#!/usr/bin/env node
// `npm run package`: builds the engine as the npm package `kiln` into dist-package/build and packs it
// into dist-package/kiln-<version>.tgz. The package is built from src/, not moved out of it: its
// public entry points are src/kiln/*.ts (one per subpath), so the page, the CLI and the package
// import the same files.
//
//   dist-package/build/dist/*.js      ESM, one file per subpath and shared chunks (esbuild, code
//                                     splitting), minified, with source maps. The WGSL kernels are
//                                     strings inside them (the `?raw` imports Vite resolves for the
//                                     page are loaded as text here too), so nothing else is fetched.
//   dist-package/build/types/**.d.ts  declarations by tsc (tsconfig.package.json), doc comments kept.
//
// Every dependency is bundled (webgpu-utils, idb) except `webgpu`, Dawn for Node, which `kiln/node`
// imports and a Node app installs beside Kiln; a browser entry never reaches it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-package');
const pkgDir = join(out, 'build');

/** The subpaths and their entry files: `kiln` is src/kiln/index.ts, `kiln/nn` src/kiln/nn.ts... */
export const SUBPATHS = readdirSync(join(root, 'src/kiln'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort((a, b) => (a === 'index' ? -1 : b === 'index' ? 1 : a.localeCompare(b)));

/** Loads `*.wgsl?raw` imports as text, the way Vite does for the page (scripts/run-node.mjs's twin). */
export const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -4)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
  },
};

/**
 * Gives every relative import in the emitted declarations its file's `.js` name (`'../nn/linear'`
 * becomes `'../nn/linear.js'`, a folder `'../autograd'` `'../autograd/index.js'`): the sources
 * import without extensions, which a bundler resolves, but an app type-checked with
 * `moduleResolution: "nodenext"` reads the package's ES module declarations by Node's rules.
 */
export function addDeclarationExtensions(typesDir) {
  for (const f of readdirSync(typesDir, { recursive: true })) {
    if (!String(f).endsWith('.d.ts')) continue;
    const file = join(typesDir, String(f));
    const text = readFileSync(file, 'utf8').replace(
      /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"]*)\2/g,
      (_, lead, quote, spec) => {
        const target = resolve(dirname(file), spec);
        const named = existsSync(`${target}.d.ts`) ? `${spec}.js` : existsSync(join(target, 'index.d.ts')) ? `${spec}/index.js` : null;
        if (named === null) throw new Error(`${file}: cannot resolve ${spec}`);
        return `${lead}${quote}${named}${quote}`;
      },
    );
    writeFileSync(file, text);
  }
}

/** The license texts of the npm packages bundled into dist/ (their code ships inside Kiln's). */
function thirdPartyLicenses(inputs) {
  const packages = new Set();
  for (const f of inputs) {
    const m = f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (m) packages.add(m[1]);
  }
  return [...packages]
    .sort()
    .map((name) => {
      const dir = join(root, 'node_modules', name);
      const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
      if (!file) throw new Error(`${name} is bundled but has no license file`);
      return `${name}@${version} (${license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
    })
    .join(`\n${'-'.repeat(72)}\n\n`);
}

/** The package.json that ships: the subpath exports, Dawn as an optional peer for Node. */
function manifest(version) {
  const exports = {};
  for (const name of SUBPATHS) {
    const key = name === 'index' ? '.' : `./${name}`;
    exports[key] = { types: `./types/kiln/${name}.d.ts`, default: `./dist/${name}.js` };
  }
  exports['./package.json'] = './package.json';
  return {
    name: 'kiln',
    version,
    description: 'Train neural networks in the browser on WebGPU, the PyTorch way: tensors, autograd, WGSL kernels, nn, optim, data and the training Run.',
    type: 'module',
    exports,
    files: ['dist', 'types', 'README.md', 'THIRD_PARTY_LICENSES.txt'],
    engines: { node: '>=20' },
    peerDependencies: { webgpu: '>=0.6.2', '@webgpu/types': '>=0.1.74' },
    peerDependenciesMeta: { webgpu: { optional: true }, '@webgpu/types': { optional: true } },
    keywords: ['webgpu', 'wgsl', 'pytorch', 'autograd', 'neural-network', 'deep-learning', 'training'],
  };
}

async function main() {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(pkgDir, { recursive: true });
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.package.json')], { stdio: 'inherit' });
  addDeclarationExtensions(join(pkgDir, 'types'));
  const result = await build({
    metafile: true,
    entryPoints: Object.fromEntries(SUBPATHS.map((n) => [n, join(root, 'src/kiln', `${n}.ts`)])),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    outdir: join(pkgDir, 'dist'),
    chunkNames: 'chunks/[name]-[hash]',
    external: ['webgpu', 'node:*'],
    plugins: [rawText],
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'error',
  });
  // A browser entry must not reach Node's modules or Dawn: only kiln/node may.
  for (const f of readdirSync(join(pkgDir, 'dist'), { recursive: true })) {
    if (!String(f).endsWith('.js') || f === 'node.js') continue;
    const text = readFileSync(join(pkgDir, 'dist', String(f)), 'utf8');
    const bad = text.match(/from\s*["'](node:[^"']+|webgpu)["']/);
    if (bad) throw new Error(`dist/${f} imports ${bad[1]}: only kiln/node may`);
  }
  writeFileSync(join(pkgDir, 'package.json'), `${JSON.stringify(manifest(version), null, 2)}\n`);
  writeFileSync(join(pkgDir, 'THIRD_PARTY_LICENSES.txt'), thirdPartyLicenses(Object.keys(result.metafile.inputs)));
  copyFileSync(join(root, 'src/kiln/README.md'), join(pkgDir, 'README.md'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: pkgDir, stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`dist-package/kiln-${version}.tgz`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
