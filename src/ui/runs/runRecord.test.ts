import { describe, expect, it } from 'vitest';
import { PRESETS, TEXT_PRESETS } from '../../nn/spec';
import { DEFAULT_CONFIG } from '../../train/config';
import type { RunRecord } from '../store/runsSlice';
import { RUN_COLUMNS, recordRows, sortRuns } from './runRecord';

describe("a run's record", () => {
  it('names the model, its layers, the dataset and every setting, and shows where two runs differ', () => {
    const a = recordRows({ model: PRESETS.simplenn, config: DEFAULT_CONFIG, dataset: 'mnist' });
    // Every setting an image run takes: not a text run's steps, evaluations and block size.
    expect(a).toHaveLength(3 + Object.keys(DEFAULT_CONFIG).length - 3);
    expect(a.map((r) => r.label)).not.toContain('Block size (characters)');
    const text = recordRows({
      model: TEXT_PRESETS.bigram({ vocabSize: 5, blockSize: 8 }),
      config: DEFAULT_CONFIG,
      dataset: 'jargon',
    });
    expect(text.map((r) => r.label)).toContain('Block size (characters)');
    expect(text.map((r) => r.label)).not.toContain('Epochs');
    expect(text.map((r) => r.label)).not.toContain('Normalisation mean');
    expect(a.slice(0, 3).map((r) => r.text)).toEqual([
      'SimpleNN · input [1, 28, 28] · 101,770 parameters',
      'Flatten → Linear(784, 128) → ReLU → Linear(128, 10)',
      'mnist',
    ]);
    const b = recordRows({
      model: PRESETS.simplenn,
      config: { ...DEFAULT_CONFIG, clipNorm: 1, scheduler: { name: 'step', stepSize: 2, gamma: 0.5 } },
      dataset: 'digits',
    });
    const differ = a.flatMap((r, i) => (r.text === b[i].text ? [] : [[r.label, r.text, b[i].text]]));
    expect(differ).toEqual([
      ['Dataset', 'mnist', 'digits'],
      ['LR scheduler', 'none', 'step (stepSize=2, gamma=0.5)'],
      ['Clip grad norm', 'off', '1'],
    ]);
    expect(a.find((r) => r.label === 'Limit training samples')?.text).toBe('all');
  });
});

describe('the runs table', () => {
  const run = (name: string, valAcc: number | null, lr: number) =>
    ({
      name,
      model: PRESETS.simplenn,
      dataset: 'mnist',
      config: { ...DEFAULT_CONFIG, lr },
      epoch: 1,
      lastEpoch: valAcc === null ? null : { epoch: 1, valAcc, valLoss: 1 - valAcc },
    }) as RunRecord;
  const column = (key: string) => RUN_COLUMNS.find((c) => c.key === key) ?? RUN_COLUMNS[0];
  const runs = [run('a', 0.9, 0.01), run('b', null, 0.001), run('c', 0.95, 0.1)];

  it('sorts by a metric either way, runs without one last', () => {
    expect(sortRuns(runs, column('valAcc'), true).map((r) => r.name)).toEqual(['c', 'a', 'b']);
    expect(sortRuns(runs, column('valAcc'), false).map((r) => r.name)).toEqual(['a', 'c', 'b']);
    expect(sortRuns(runs, column('lr'), false).map((r) => r.name)).toEqual(['b', 'a', 'c']);
  });

  it('shows metrics as the page does', () => {
    expect(RUN_COLUMNS.map((c) => c.text(runs[0]))).toEqual([
      'a',
      'SimpleNN',
      'mnist',
      'adam',
      '0.01',
      '64',
      '1/3',
      '90.00%',
      '0.1000',
    ]);
    expect(column('valAcc').text(runs[1])).toBe('—');
  });
});
