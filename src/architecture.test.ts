/**
 * The layers of ../shared/docs/design.md, enforced: gpu <- tensor <- autograd <- nn, optim <- train
 * <- worker <- ui, with data feeding train. A file may import only from its own layer and the ones
 * listed for it, so the layering stays visible as the code grows.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

const ALLOWED: Record<string, string[]> = {
  gpu: [],
  tensor: ['gpu'],
  autograd: ['gpu', 'tensor'],
  nn: ['gpu', 'tensor', 'autograd'],
  optim: ['gpu', 'tensor', 'autograd', 'nn'],
  data: ['gpu', 'tensor'],
  train: ['gpu', 'tensor', 'autograd', 'nn', 'optim', 'data'],
  worker: ['gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train'],
  // The page never holds a tensor: it may read plain types and pure helpers, not run the engine.
  ui: ['gpu', 'nn', 'optim', 'data', 'train', 'worker'],
  cli: ['gpu', 'tensor', 'autograd', 'nn', 'optim', 'data', 'train'],
};

const SRC = resolve(__dirname);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

test('imports run only in the direction of the design', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const layer = relative(SRC, file).split('/')[0];
    if (!(layer in ALLOWED)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
      const target = relative(SRC, resolve(file, '..', m[1])).split('/')[0];
      if (target === layer || target.startsWith('..') || !(target in ALLOWED)) continue;
      if (!ALLOWED[layer].includes(target))
        violations.push(`${relative(SRC, file)} imports ${m[1]} (${layer} -> ${target})`);
    }
  }
  expect(violations).toEqual([]);
});
