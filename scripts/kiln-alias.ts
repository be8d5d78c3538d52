import { resolve } from 'node:path';

/**
 * `kiln` and `kiln/<subpath>` resolved to the package's entry files (src/kiln/index.ts,
 * src/kiln/<subpath>.ts): the page, the worker, the CLI and the bench import the engine as a user
 * imports the package, by its public entry points. The same mapping is in tsconfig.json's `paths`
 * and scripts/run-node.mjs (esbuild); this is Vite's and Vitest's.
 */
export const KILN_ALIAS = [
  { find: /^kiln$/, replacement: resolve(import.meta.dirname, '../src/kiln/index.ts') },
  { find: /^kiln\/([a-z]+)$/, replacement: resolve(import.meta.dirname, '../src/kiln/$1.ts') },
];
