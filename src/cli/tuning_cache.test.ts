import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MatmulTuner } from '../tensor/autotune';
import { cacheDir, loadTuning, saveTuning, tuningFile } from './tuning_cache';

const fresh = () => mkdtempSync(join(tmpdir(), 'kiln-tuning-'));

describe('the CLI tuning cache', () => {
  it('keeps one file per adapter, restored into a fresh tuner, with nothing left aside', async () => {
    const dir = join(fresh(), 'not', 'yet');
    expect(await loadTuning('gpu A', dir)).toEqual({});
    await saveTuning('gpu A', { '64x784x128x1NT': 'direct32' }, dir);
    await saveTuning('gpu B / Vulkan', { '64x784x128x1NT': 'tiled' }, dir);
    await saveTuning('gpu A', { '64x784x128x1NT': 'direct64', '1x1x1x1NN': 'no-such-kernel' }, dir);
    const saved = await loadTuning('gpu A', dir);
    expect(saved).toEqual({ '64x784x128x1NT': 'direct64', '1x1x1x1NN': 'no-such-kernel' });
    expect(await loadTuning('gpu B / Vulkan', dir)).toEqual({ '64x784x128x1NT': 'tiled' });
    expect(readdirSync(dir).sort()).toEqual(
      [tuningFile('gpu A', dir), tuningFile('gpu B / Vulkan', dir)].map((f) => basename(f)).sort(),
    );
    const tuner = new MatmulTuner('cli tuning cache test adapter', true);
    tuner.restore(saved);
    expect(tuner.chosen).toEqual({ '64x784x128x1NT': 'direct64' });
  });

  it('ignores a corrupt file, one for another adapter, and values that are not names', async () => {
    const dir = fresh();
    const write = (content: string) => writeFileSync(tuningFile('gpu', dir), content);
    for (const bad of [
      '{"adapterKey": "gpu", "chos',
      '',
      'null',
      '[1]',
      '{"adapterKey":"gpu","chosen":null}',
    ]) {
      write(bad);
      expect(await loadTuning('gpu', dir), bad).toEqual({});
    }
    write(JSON.stringify({ adapterKey: 'other', chosen: { a: 'tiled' } }));
    expect(await loadTuning('gpu', dir)).toEqual({});
    write(JSON.stringify({ adapterKey: 'gpu', chosen: { a: 'tiled', b: 3, c: null } }));
    expect(await loadTuning('gpu', dir)).toEqual({ a: 'tiled' });
  });

  it('saves nothing, throws nothing and leaves nothing where the folder cannot be written', async () => {
    const parent = fresh();
    const file = join(parent, 'a-file');
    writeFileSync(file, 'x');
    await expect(saveTuning('gpu', { a: 'tiled' }, file)).resolves.toBeUndefined();
    await expect(saveTuning('gpu', { a: 'tiled' }, join(file, 'below'))).resolves.toBeUndefined();
    expect(readdirSync(parent)).toEqual(['a-file']);
    expect(await loadTuning('gpu', file)).toEqual({});
  });

  it('lives under KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln', () => {
    expect(cacheDir({ KILN_CACHE_DIR: '/k', XDG_CACHE_HOME: '/x' })).toBe('/k');
    expect(cacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'kiln'));
    expect(cacheDir({})).toBe(join(homedir(), '.cache', 'kiln'));
  });
});
