/**
 * The layers of ../shared/docs/design.md, enforced: gpu <- tensor <- autograd <- nn, optim <- train
 * <- worker <- ui, with data feeding train, and storage (IndexedDB) under every layer that keeps
 * something. A file may import only from its own layer and the ones listed for it, so the layering
 * stays visible as the code grows. Static, type-only, side-effect and dynamic imports all count.
 * Within that, the page loads no engine: what its code pulls in at load time runs no tensor.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

const ALLOWED: Record<string, string[]> = {
  storage: [],
  gpu: [],
  tensor: ['gpu'],
  autograd: ['gpu', 'tensor'],
  nn: ['gpu', 'tensor', 'autograd'],
  optim: ['gpu', 'tensor', 'autograd', 'nn'],
  data: ['storage', 'gpu', 'tensor'],
  train: ['storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data'],
  worker: ['storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train'],
  // The page never holds a tensor: it may read plain types and pure helpers, not run the engine.
  ui: ['storage', 'gpu', 'nn', 'optim', 'data', 'train', 'worker'],
  cli: ['storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train'],
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

/**
 * The imports of a source file that load the target when the file loads: `import`/`export ... from`
 * and bare `import '...'`, but not `import type`, `export type`, an import whose every name is a
 * `type`, nor `import()` (erased by the compiler, or split into its own chunk by the bundler).
 */
function staticValueImports(text: string): string[] {
  const found = text.matchAll(
    /\b(import|export)\s+(?:(type)\s+)?(?:([^'";]*?)\s*from\s*)?['"](\.[^'"]+)['"]/g,
  );
  return [...found].flatMap(([, , type, clause, path]) => {
    const names = clause
      ?.trim()
      .match(/^\{([^}]*)\}$/)?.[1]
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    const typesOnly =
      type !== undefined ||
      (names !== undefined && names.length > 0 && names.every((n) => n.startsWith('type ')));
    return typesOnly ? [] : [path];
  });
}

/** The source file an import names, or null for an asset (a shader's ?raw, a stylesheet). */
function resolveImport(from: string, path: string): string | null {
  const base = resolve(from, '..', path);
  const found = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find(
    (f) => existsSync(f) && statSync(f).isFile() && /\.tsx?$/.test(f),
  );
  return found ?? null;
}

test('static value imports are told from the erased and the split ones', () => {
  const source = [
    "import { a } from '../a';",
    "import type { B } from './b';",
    "import { type C, type D } from './cd';",
    "import { type E, f } from './ef';",
    "export { g } from '../g';",
    "export type { H } from '../h';",
    "import '../i.css';",
    "const j = await import('../j');",
    "import * as k from '../k';",
    "import L, { m } from './lm';",
  ].join('\n');
  expect(staticValueImports(source)).toEqual(['../a', './ef', '../g', '../i.css', '../k', './lm']);
});

/**
 * Modules that load the engine today but whose exports the page reads as data, each with why it
 * is let through. The layer registry holds every layer's module constructor beside its fields and
 * shape rule, so nn/spec.ts (which reads it) loads every nn module and the tensor ops behind them;
 * separating the registry's pure half from its builders is the registry's own change to make.
 */
const GATEWAYS: Record<string, string> = {
  'nn/layers.ts': "the layer registry's builders sit beside its pure fields and shapes",
};

/**
 * The engine: every module of tensor/, autograd/ and optim/, and every module that statically
 * loads one of them (train/run, train/factories, the nn modules...), found by following imports;
 * the GATEWAYS are left out, and nothing is found through them.
 */
function engineModules(all: string[], gateways: string[]): Set<string> {
  const through = new Set(gateways.map((g) => join(SRC, g)));
  const engine = new Set(all.filter((f) => /^(tensor|autograd|optim)\//.test(relative(SRC, f))));
  const imports = new Map(
    all.map((f) => [
      f,
      staticValueImports(readFileSync(f, 'utf8')).flatMap((p) => resolveImport(f, p) ?? []),
    ]),
  );
  for (let grew = true; grew; ) {
    grew = false;
    for (const [f, targets] of imports) {
      if (!engine.has(f) && !through.has(f) && targets.some((t) => engine.has(t))) {
        engine.add(f);
        grew = true;
      }
    }
  }
  return engine;
}

test("the page's store and components load no engine module", () => {
  const all = files(SRC).filter((f) => !/\.test\.tsx?$/.test(f));
  const engine = engineModules(all, Object.keys(GATEWAYS));
  // The rule bites: the modules that build and run a model are engine modules.
  for (const f of ['train/run.ts', 'train/factories.ts', 'train/trainer.ts', 'nn/linear.ts'])
    expect(engine.has(join(SRC, f)), f).toBe(true);
  // A gateway that no longer loads the engine is let through for nothing: drop it from GATEWAYS.
  const full = engineModules(all, []);
  for (const g of Object.keys(GATEWAYS))
    expect(full.has(join(SRC, g)), `${g} still loads the engine`).toBe(true);
  const violations = all
    .filter((f) => relative(SRC, f).startsWith('ui/') && engine.has(f))
    .map((f) => {
      const via = staticValueImports(readFileSync(f, 'utf8')).find((p) => {
        const t = resolveImport(f, p);
        return t !== null && engine.has(t);
      });
      return `${relative(SRC, f)} loads the engine through ${via}`;
    });
  expect(violations).toEqual([]);
});
