import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../nn/spec';
import { DEFAULT_CONFIG } from '../../train/config';
import { recordRows } from './runRecord';

describe("a run's record", () => {
  it('names the model, its layers, the dataset and every setting, and shows where two runs differ', () => {
    const a = recordRows({ model: PRESETS.simplenn, config: DEFAULT_CONFIG, dataset: 'mnist' });
    expect(a).toHaveLength(3 + Object.keys(DEFAULT_CONFIG).length);
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
