/**
 * The layers of ../shared/docs/design.md, enforced: gpu <- tensor <- autograd <- nn, optim <- train
 * <- worker <- ui, with data feeding train, and storage (IndexedDB) under every layer that keeps
 * something; schema (the one reader of untrusted JSON) under all. A file may import only from its
 * own layer and the ones listed for it, so the layering stays visible as the code grows. Static,
 * type-only, side-effect and dynamic imports all count.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

const ALLOWED: Record<string, string[]> = {
  schema: [],
  storage: ['schema'],
  gpu: ['schema'],
  tensor: ['schema', 'gpu'],
  autograd: ['schema', 'gpu', 'tensor'],
  nn: ['schema', 'gpu', 'tensor', 'autograd'],
  optim: ['schema', 'gpu', 'tensor', 'autograd', 'nn'],
  data: ['schema', 'storage', 'gpu', 'tensor'],
  train: ['schema', 'storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data'],
  worker: ['schema', 'storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train'],
  // The page never holds a tensor: it may read plain types and pure helpers, not run the engine.
  ui: ['schema', 'storage', 'gpu', 'nn', 'optim', 'data', 'train', 'worker'],
  cli: ['schema', 'storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train'],
};

const SRC = resolve(__dirname);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

/**
 * The relative paths a source file imports: `import ... from`, `export ... from`, `import '...'`
 * and `import('...')`.
 */
function relativeImports(text: string): string[] {
  const found = text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.[^'"]+)['"]/g);
  return [...found].map((m) => m[1]);
}

test('every form of import is seen', () => {
  const source = [
    "import { a } from '../a';",
    "import type { B } from './b';",
    "export { c } from '../c';",
    "export * from '../d';",
    "import '../e.css';",
    "const f = await import('../f');",
    'const g = import(\n  "./g"\n);',
    "import { h } from 'h';",
  ].join('\n');
  expect(relativeImports(source)).toEqual(['../a', './b', '../c', '../d', '../e.css', '../f', './g']);
});

test('imports run only in the direction of the design', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const layer = relative(SRC, file).split('/')[0];
    if (!(layer in ALLOWED)) continue;
    for (const path of relativeImports(readFileSync(file, 'utf8'))) {
      const target = relative(SRC, resolve(file, '..', path)).split('/')[0];
      if (target === layer || target.startsWith('..') || !(target in ALLOWED)) continue;
      if (!ALLOWED[layer].includes(target))
        violations.push(`${relative(SRC, file)} imports ${path} (${layer} -> ${target})`);
    }
  }
  expect(violations).toEqual([]);
});
