/**
 * A run as a reproducible record, in words: its model, layers, dataset and every training setting
 * as rows of a table, and which of them differ between two runs.
 */

import { type DataKind, labelOf, SETTINGS, settingApplies, type TrainConfig } from 'kiln/config';
import { countParameters, isBlock, type LayerSpec, type ModelSpec } from 'kiln/spec';
import { count, percent } from '../format';
import type { RunRecord } from '../store/runsSlice';

/** One row of a run's record: what it is and its value as shown. */
export interface RecordRow {
  label: string;
  text: string;
}

/** A setting's value as the table shows it (off, yes/no, "StepLR (step_size=10)"). */
export function settingText(key: keyof TrainConfig, c: TrainConfig): string {
  const v = c[key];
  if (v === null) return SETTINGS[key].off ?? 'off';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object') {
    const { name, ...params } = v;
    const args = Object.entries(params).map(([k, x]) => `${k}=${Array.isArray(x) ? `[${x}]` : x}`);
    return args.length ? `${name} (${args.join(', ')})` : name;
  }
  return String(v);
}

/** A layer as PyTorch prints its constructor's arguments: Linear(784, 128). */
function layerText(layer: LayerSpec): string {
  if (isBlock(layer)) {
    const times = layer.type === 'Repeat' ? ` ×${layer.times}` : '';
    return `${layer.type}${times}(${layer.layers.map(layerText).join(' → ')})`;
  }
  const { type, name: _, ...args } = layer;
  const values = Object.values(args);
  return values.length ? `${type}(${values.join(', ')})` : type;
}

/** What a model trains on, by its input: token ids, [C, H, W] images, or a table's features. */
function dataKind(model: ModelSpec): DataKind {
  return model.inputDtype === 'int32' ? 'text' : model.inputShape.length === 3 ? 'images' : 'table';
}

/** The rows of `run`'s record: model, layers, dataset, then every setting its kind of data takes, in the table's order. */
export function recordRows(run: Pick<RunRecord, 'model' | 'config' | 'dataset'>): RecordRow[] {
  const { model, config } = run;
  return [
    {
      label: 'Model',
      text: `${model.name} · input [${model.inputShape.join(', ')}] · ${count(countParameters(model))} parameters`,
    },
    { label: 'Layers', text: model.layers.map(layerText).join(' → ') },
    { label: 'Dataset', text: run.dataset || 'unknown' },
    // The settings the run's kind of data takes: no block size on an image run, no epochs on text.
    ...(Object.keys(SETTINGS) as (keyof TrainConfig)[])
      .filter((key) => settingApplies(SETTINGS[key], dataKind(model)))
      .map((key) => ({ label: labelOf(SETTINGS[key]), text: settingText(key, config) })),
  ];
}

/** A column of the runs table: its heading, the value it sorts by (null sorts last) and its text. */
export interface RunColumn {
  key: string;
  label: string;
  value: (r: RunRecord) => string | number | null;
  text: (r: RunRecord) => string;
}

/** The runs table's columns, TensorBoard's hparams view in short: setup, progress and final metrics. */
export const RUN_COLUMNS: RunColumn[] = (
  [
    { key: 'name', label: 'Run', value: (r) => r.name },
    { key: 'model', label: 'Model', value: (r) => r.model.name },
    { key: 'dataset', label: 'Dataset', value: (r) => r.dataset || null },
    { key: 'optimizer', label: 'Optimizer', value: (r) => r.config.optimizer },
    { key: 'lr', label: 'LR', value: (r) => r.config.lr },
    { key: 'batchSize', label: 'Batch', value: (r) => r.config.batchSize },
    {
      key: 'epochs',
      label: 'Epochs',
      value: (r) => r.epoch,
      text: (r) => `${r.epoch}/${r.config.epochs}`,
    },
    {
      key: 'valAcc',
      label: 'Val acc',
      value: (r) => r.lastEpoch?.valAcc ?? null,
      text: (r) => (r.lastEpoch ? percent(r.lastEpoch.valAcc) : '—'),
    },
    {
      key: 'valLoss',
      label: 'Val loss',
      value: (r) => r.lastEpoch?.valLoss ?? null,
      text: (r) => (r.lastEpoch ? r.lastEpoch.valLoss.toFixed(4) : '—'),
    },
  ] satisfies (Omit<RunColumn, 'text'> & Partial<RunColumn>)[]
).map((c) => ({ text: (r: RunRecord) => String(c.value(r) ?? '—'), ...c }));

/** `runs` sorted by a column, ascending or descending; runs without a value come last either way. */
export function sortRuns(runs: readonly RunRecord[], column: RunColumn, descending: boolean): RunRecord[] {
  return [...runs].sort((a, b) => {
    const [x, y] = [column.value(a), column.value(b)];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return descending ? -order : order;
  });
}
