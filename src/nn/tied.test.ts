/**
 * Weight tying (nanoGPT's lm_head and wte): one Parameter in two modules, listed once, both keys in
 * the state dict, and its gradient the sum of both uses (checked against the untied model whose two
 * weights start equal), on both backends.
 */
import { describe, expect, it } from 'vitest';
import { setDefaultBackend } from '../tensor/default';
import * as ops from '../tensor/ops';
import { bothBackends, readAll } from '../tensor/testing';
import { CrossEntropyLoss } from './loss';
import { buildModel } from './models';
import type { Parameter } from './module';
import { countParameters, specError, TEXT_PRESETS } from './spec';

const OPTS = { vocabSize: 7, blockSize: 5, nLayer: 1, nHead: 2, nEmbd: 6 };

describe('tied weights', () => {
  it('a GPT with tie shares wte.weight with lm_head, counted once, both keys kept', () => {
    const spec = TEXT_PRESETS.gpt({ ...OPTS, tie: true });
    expect(specError(spec)).toBeNull();
    expect(countParameters(spec)).toBe(countParameters(TEXT_PRESETS.gpt(OPTS)) - 7 * 6);
    const model = buildModel(spec);
    const named = new Map(model.namedParameters());
    expect(named.has('wte.weight')).toBe(true);
    expect(named.has('lm_head.weight')).toBe(false);
    expect(model.parameters().reduce((n, p) => n + p.size, 0)).toBe(countParameters(spec));
    const sd = model.stateDict();
    expect(sd.get('lm_head.weight')).toBe(sd.get('wte.weight'));
  });

  it('refuses a tie between weights of other shapes or that are not weights, in one line', () => {
    const base = TEXT_PRESETS.gpt(OPTS);
    expect(specError({ ...base, tied: { 'lm_head.weight': 'wpe.weight' } })).toBe(
      'tied: "lm_head.weight" [7,6] and "wpe.weight" [5,6] differ in shape',
    );
    expect(specError({ ...base, tied: { 'lm_head.bias': 'wte.weight' } })).toMatch(
      /^tied: "lm_head.bias" is not the weight of a Linear or an embedding/,
    );
    expect(specError({ ...base, tied: { 'wte.weight': 'wte.weight' } })).toMatch(/another weight/);
    // A Repeat's copies are numbered: h.0.mlp_block.c_fc.weight is the first copy's.
    expect(
      specError({ ...base, tied: { 'h.0.mlp_block.c_fc.weight': 'h.9.mlp_block.c_fc.weight' } }),
    ).toMatch(/"h.9.mlp_block.c_fc.weight" is not the weight/);
  });

  it("the shared weight's gradient is the sum of its two uses, on both backends", async () => {
    for (const backend of await bothBackends()) {
      setDefaultBackend(backend);
      const tied = buildModel(TEXT_PRESETS.gpt({ ...OPTS, tie: true }));
      const untied = buildModel(TEXT_PRESETS.gpt(OPTS));
      const state = await tied.stateDictData();
      untied.loadStateDict(state);
      const ids = ops.tensor(
        backend,
        Int32Array.from({ length: 10 }, (_, i) => (i * 3) % 7),
        [2, 5],
        'int32',
      );
      const labels = ops.tensor(
        backend,
        Int32Array.from({ length: 10 }, (_, i) => (i * 5) % 7),
        [2, 5],
        'int32',
      );
      for (const m of [tied, untied]) new CrossEntropyLoss().forward(m.forward(ids), labels).backward();
      const grad = (m: typeof tied, key: string) => (m.stateDict().get(key) as Parameter).grad!;
      const [shared, wte, head] = await readAll([
        grad(tied, 'wte.weight'),
        grad(untied, 'wte.weight'),
        grad(untied, 'lm_head.weight'),
      ]);
      for (let i = 0; i < shared.length; i++) expect(shared[i]).toBeCloseTo(wte[i] + head[i], 5);
    }
  });
});
