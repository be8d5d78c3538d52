/**
 * The layers of ../shared/docs/design.md, enforced: gpu <- tensor <- autograd <- nn, optim <- train
 * <- worker <- ui, with data feeding train, and storage (IndexedDB) under every layer that keeps
 * something; schema (the one reader of untrusted JSON) under all. A file may import only from its
 * own layer and the ones listed for it, so the layering stays visible as the code grows. Static,
 * type-only, side-effect and dynamic imports all count. Within that, the page loads no engine:
 * what its code pulls in at load time runs no tensor. And the page (ui, worker) and the CLI (cli,
 * bench) reach the engine only through the package's public entry points, `kiln` and `kiln/...`
 * (src/kiln/*.ts), as any other app does.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  worker: ['schema', 'storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train', 'kiln'],
  // The page never holds a tensor: it may read plain types and pure helpers, not run the engine.
  ui: ['schema', 'storage', 'gpu', 'nn', 'optim', 'data', 'train', 'worker', 'kiln'],
  cli: ['schema', 'storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train', 'kiln'],
  // The package's entry points: they re-export the engine's public names.
  kiln: ['schema', 'storage', 'gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train'],
};

/** The engine's layers: outside them, only src/kiln's entry points may name their modules. */
const ENGINE = ['gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train'];

/** The shells around the engine, which must use it as a package. */
const SHELLS = ['src/ui', 'src/worker', 'src/cli', 'bench'];

const SRC = resolve(__dirname);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

/** `kiln` and `kiln/<subpath>` as the relative path of their entry file from `file` (else null). */
function packagePath(file: string, path: string): string | null {
  const m = path.match(/^kiln(?:\/([a-z]+))?$/);
  if (!m) return null;
  const rel = relative(join(file, '..'), join(SRC, 'kiln', m[1] ?? 'index'));
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * The relative paths a source file imports: `import ... from`, `export ... from`, `import '...'`
 * and `import('...')`; the package's entry points (`kiln/nn`) as the paths of their files.
 */
function relativeImports(text: string, file = join(SRC, 'x.ts')): string[] {
  const found = text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]((?:\.|kiln\b)[^'"]*)['"]/g);
  return [...found].map((m) => packagePath(file, m[1]) ?? m[1]);
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
    for (const path of relativeImports(readFileSync(file, 'utf8'), file)) {
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
function staticValueImports(text: string, file = join(SRC, 'x.ts')): string[] {
  const found = text.matchAll(
    /\b(import|export)\s+(?:(type)\s+)?(?:([^'";]*?)\s*from\s*)?['"]((?:\.|kiln\b)[^'"]*)['"]/g,
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
    return typesOnly ? [] : [packagePath(file, path) ?? path];
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
 * The engine: every module of tensor/, autograd/ and optim/, and every module that statically
 * loads one of them (train/run, train/factories, the nn modules...), found by following imports.
 * The layer registry (nn/layers.ts) is not one: its entries build from a namespace handed to them.
 */
function engineModules(all: string[]): Set<string> {
  const engine = new Set(all.filter((f) => /^(tensor|autograd|optim)\//.test(relative(SRC, f))));
  const imports = new Map(
    all.map((f) => [
      f,
      staticValueImports(readFileSync(f, 'utf8'), f).flatMap((p) => resolveImport(f, p) ?? []),
    ]),
  );
  for (let grew = true; grew; ) {
    grew = false;
    for (const [f, targets] of imports) {
      if (!engine.has(f) && targets.some((t) => engine.has(t))) {
        engine.add(f);
        grew = true;
      }
    }
  }
  return engine;
}

test("the page's store and components load no engine module", () => {
  const all = files(SRC).filter((f) => !/\.test\.tsx?$/.test(f));
  const engine = engineModules(all);
  // The rule bites: the modules that build and run a model are engine modules; the registry the
  // builder reads is not.
  for (const f of ['train/run.ts', 'train/factories.ts', 'train/trainer.ts', 'nn/linear.ts', 'nn/models.ts'])
    expect(engine.has(join(SRC, f)), f).toBe(true);
  for (const f of ['nn/layers.ts', 'nn/spec.ts']) expect(engine.has(join(SRC, f)), f).toBe(false);
  const violations = all
    .filter((f) => relative(SRC, f).startsWith('ui/') && engine.has(f))
    .map((f) => {
      const via = staticValueImports(readFileSync(f, 'utf8'), f).find((p) => {
        const t = resolveImport(f, p);
        return t !== null && engine.has(t);
      });
      return `${relative(SRC, f)} loads the engine through ${via}`;
    });
  expect(violations).toEqual([]);
});

test("the page and the CLI import the engine only through the package's entry points", () => {
  const root = resolve(SRC, '..');
  const shells = SHELLS.flatMap((d) => files(join(root, d))).filter(
    // Tests and their helpers may reach inside, as the engine's own tests do.
    (f) => !/\.test\.tsx?$/.test(f) && !/\/testing\.ts$/.test(f),
  );
  expect(shells.length).toBeGreaterThan(40);
  const entries = new Set(readdirSync(join(SRC, 'kiln')).filter((f) => /^[a-z]+\.ts$/.test(f)));
  const violations: string[] = [];
  let packageImports = 0;
  for (const file of shells) {
    const text = readFileSync(file, 'utf8');
    for (const path of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)) {
      const spec = path[1];
      if (/^kiln(\/|$)/.test(spec)) {
        packageImports++;
        const entry = `${spec === 'kiln' ? 'index' : spec.slice(5)}.ts`;
        if (!entries.has(entry))
          violations.push(`${relative(root, file)} imports ${spec}, which is no entry point`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const layer = relative(SRC, resolve(file, '..', spec)).split('/')[0];
      if (layer === 'kiln') violations.push(`${relative(root, file)} imports ${spec}: name it 'kiln/...'`);
      else if (ENGINE.includes(layer))
        violations.push(`${relative(root, file)} imports ${spec}: use 'kiln/...'`);
    }
  }
  expect(packageImports).toBeGreaterThan(40);
  expect(violations).toEqual([]);
});
