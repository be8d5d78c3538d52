/**
 * A run as a reproducible record: its model, dataset and every training setting in one table, and
 * "Load these settings" to put the model in the builder and the settings in the form.
 */
import { countParameters, type LayerSpec } from '../../nn/spec';
import { DEFAULT_CONFIG, type TrainConfig } from '../../train/config';
import { count } from '../format';
import { useKiln } from '../store';
import type { RunRecord } from '../store/runsSlice';

/** Each setting's name in the table; typed over every field, so a new one cannot be left out. */
const LABELS: Record<keyof TrainConfig, string> = {
  epochs: 'Epochs',
  batchSize: 'Batch size',
  lr: 'Learning rate',
  optimizer: 'Optimizer',
  momentum: 'Momentum',
  nesterov: 'Nesterov',
  weightDecay: 'Weight decay',
  betas: 'Betas',
  seed: 'Seed',
  shuffle: 'Shuffle',
  scheduler: 'LR scheduler',
  clipNorm: 'Clip grad norm',
  clipValue: 'Clip grad value',
  labelSmoothing: 'Label smoothing',
  limit: 'Limit training samples',
  valSplit: 'Validation split',
  logEvery: 'Log every (steps)',
  mean: 'Normalisation mean',
  std: 'Normalisation std',
};

/** A setting's value as the table shows it. */
function settingText(key: keyof TrainConfig, c: TrainConfig): string {
  const v = c[key];
  if (v === null) return key === 'limit' ? 'all' : 'off';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object') {
    const { name, ...params } = v;
    const args = Object.entries(params).map(([k, x]) => `${k}=${Array.isArray(x) ? `[${x}]` : x}`);
    return args.length ? `${name} (${args.join(', ')})` : name;
  }
  return String(v);
}

/** A layer as PyTorch would print its constructor: Linear(784, 128). */
function layerText(layer: LayerSpec): string {
  const { type, name: _, ...args } = layer;
  const values = Object.values(args);
  return values.length ? `${type}(${values.join(', ')})` : type;
}

/** The run's record, with the button that loads it back. */
export function RunConfig({ run }: { run: RunRecord }) {
  const loadRunSettings = useKiln((s) => s.loadRunSettings);
  const { model, config } = run;
  return (
    <div className="run-config">
      <table aria-label={`Settings of ${run.name}`}>
        <tbody>
          <tr>
            <th scope="row">Model</th>
            <td>
              {model.name} · input [{model.inputShape.join(', ')}] · {count(countParameters(model))}{' '}
              parameters
              <div className="muted run-layers">{model.layers.map(layerText).join(' → ')}</div>
            </td>
          </tr>
          <tr>
            <th scope="row">Dataset</th>
            <td>{run.dataset || 'unknown'}</td>
          </tr>
          {(Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]).map((key) => (
            <tr key={key}>
              <th scope="row">{LABELS[key]}</th>
              <td className="num">{settingText(key, config)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() => loadRunSettings(run.id)}
        title="Put this run's model in the builder and its settings in the form, to train it anew"
      >
        Load these settings
      </button>
    </div>
  );
}
