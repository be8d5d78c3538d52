import { describe, expect, it } from 'vitest';
import {
  folderNames,
  HPARAMS_TAGS,
  hparamInfos,
  tensorboardLogdir,
  writeExperiment,
  writeSessionEnd,
  writeSessionStart,
} from './hparams';
import { SummaryWriter } from './tensorboard';
import { type Field, readFields, readRecords } from './testing';

/*
 * An independent reader of what TensorBoard's HParams plugin reads: each Summary.Value whose
 * metadata names the plugin "hparams", its HParamsPluginData decoded by the field numbers of
 * tensorboard/plugins/hparams/plugin_data.proto and api.proto (not by the encoder's tables).
 */
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const one = (fields: Field[], n: number) => fields.find((f) => f.field === n);
const all = (fields: Field[], n: number) => fields.filter((f) => f.field === n);

/** A google.protobuf.Value: number_value 2, string_value 3, bool_value 4. */
function value(bytes: Uint8Array): number | string | boolean {
  const [f] = readFields(bytes);
  if (f.field === 2) return f.fixed64!.getFloat64(0, true);
  if (f.field === 3) return text(f.bytes);
  if (f.field === 4) return f.varint === 1n;
  throw new Error(`unexpected Value field ${f.field}`);
}

interface PluginValue {
  tag: string;
  step: bigint;
  data: Record<string, unknown>;
}

/** Every hparams summary in an event file, decoded. */
function readHParams(file: Uint8Array): PluginValue[] {
  const out: PluginValue[] = [];
  for (const record of readRecords(file)) {
    const event = readFields(record);
    const step = one(event, 2)?.varint ?? 0n;
    const summary = one(event, 5);
    if (!summary) continue;
    for (const v of readFields(summary.bytes!)) {
      const value_ = readFields(v.bytes!);
      const metadata = one(value_, 9);
      if (!metadata) continue;
      const plugin = readFields(one(readFields(metadata.bytes!), 1)!.bytes!);
      expect(text(one(plugin, 1)!.bytes)).toBe('hparams');
      // TensorBoard's own writer puts a float scalar 0 beside the metadata (NULL_TENSOR).
      const tensor = readFields(one(value_, 8)!.bytes!);
      expect(one(tensor, 1)!.varint).toBe(1n);
      const content = readFields(one(plugin, 2)!.bytes!);
      expect(one(content, 1)).toBeUndefined(); // version 0
      out.push({ tag: text(one(value_, 1)!.bytes), step, data: pluginData(content) });
    }
  }
  return out;
}

function pluginData(content: Field[]): Record<string, unknown> {
  const experiment = one(content, 2);
  if (experiment) {
    const e = readFields(experiment.bytes!);
    return {
      experiment: {
        hparamInfos: all(e, 4).map((h) => {
          const f = readFields(h.bytes!);
          const discrete = one(f, 5);
          const interval = one(f, 6);
          return {
            name: text(one(f, 1)!.bytes),
            type: Number(one(f, 4)!.varint),
            ...(discrete
              ? { discrete: all(readFields(discrete.bytes!), 1).map((x) => value(x.bytes!)) }
              : {}),
            ...(interval
              ? {
                  interval: readFields(interval.bytes!).map((x) => x.fixed64!.getFloat64(0, true)),
                }
              : {}),
          };
        }),
        metricInfos: all(e, 5).map((m) => {
          const f = readFields(m.bytes!);
          const name = readFields(one(f, 1)!.bytes!);
          return {
            group: text(one(name, 1)?.bytes),
            tag: text(one(name, 2)!.bytes),
            datasetType: Number(one(f, 5)?.varint ?? 0n),
          };
        }),
      },
    };
  }
  const start = one(content, 3);
  if (start) {
    const f = readFields(start.bytes!);
    return {
      sessionStart: Object.fromEntries(
        all(f, 1).map((entry) => {
          const kv = readFields(entry.bytes!);
          return [text(one(kv, 1)!.bytes), value(one(kv, 2)!.bytes!)];
        }),
      ),
      startTime: one(f, 5)!.fixed64!.getFloat64(0, true),
    };
  }
  const end = readFields(one(content, 4)!.bytes!);
  return {
    sessionEnd: Number(one(end, 1)?.varint ?? 0n),
    endTime: one(end, 2)!.fixed64!.getFloat64(0, true),
  };
}

describe('hparams plugin data', () => {
  it('writes the experiment, the session start and the session end as the plugin reads them', () => {
    const w = new SummaryWriter(1700000000);
    writeExperiment(
      w,
      hparamInfos([
        { lr: 0.001, optimizer: 'adam', nesterov: false },
        { lr: 0.01, optimizer: 'sgd', nesterov: true },
      ]),
      ['Accuracy/val', 'Loss/train', 'other'],
      1700000000,
    );
    writeSessionStart(w, { lr: 0.01, optimizer: 'sgd', nesterov: true, seed: 0 }, 1700000001);
    writeSessionEnd(w, 'success', 1700000002);
    writeSessionEnd(w, 'failure', 1700000003);
    const got = readHParams(w.flush());
    expect(got.map((g) => g.tag)).toEqual([
      HPARAMS_TAGS.experiment,
      HPARAMS_TAGS.sessionStart,
      HPARAMS_TAGS.sessionEnd,
      HPARAMS_TAGS.sessionEnd,
    ]);
    expect(got[0].data).toEqual({
      experiment: {
        hparamInfos: [
          // DataType: FLOAT64 3, STRING 1, BOOL 2.
          { name: 'lr', type: 3, discrete: [0.001, 0.01] },
          { name: 'optimizer', type: 1, discrete: ['adam', 'sgd'] },
          { name: 'nesterov', type: 2, discrete: [false, true] },
        ],
        metricInfos: [
          // DatasetType: TRAINING 1, VALIDATION 2; the group empty: the run's own folder.
          { group: '', tag: 'Accuracy/val', datasetType: 2 },
          { group: '', tag: 'Loss/train', datasetType: 1 },
          { group: '', tag: 'other', datasetType: 0 },
        ],
      },
    });
    // A zero (seed 0) is a value set, not left out.
    expect(got[1].data).toEqual({
      sessionStart: { lr: 0.01, optimizer: 'sgd', nesterov: true, seed: 0 },
      startTime: 1700000001,
    });
    // Status: SUCCESS 1, FAILURE 2.
    expect(got[2].data).toEqual({ sessionEnd: 1, endTime: 1700000002 });
    expect(got[3].data).toEqual({ sessionEnd: 2, endTime: 1700000003 });
  });

  it('gives many distinct numbers an interval, and refuses a hyperparameter of mixed types', () => {
    const runs = Array.from({ length: 20 }, (_, i) => ({ lr: 10 ** -(i / 5) }));
    expect(hparamInfos(runs)).toEqual([{ name: 'lr', type: 'number', domain: { min: 10 ** -3.8, max: 1 } }]);
    expect(() => hparamInfos([{ x: 1 }, { x: 'a' }])).toThrow(/x mixes values of different types/);
  });

  it('names folders safely and once each', () => {
    expect(folderNames(['lr=0.001,seed=1', 'a/b', '..', 'A', 'a', '', 'run'])).toEqual([
      'lr=0.001,seed=1',
      'a_b',
      '__',
      'A',
      'a-2',
      'run',
      'run-2',
    ]);
  });

  it('turns runs into a logdir: the experiment at the root, one folder per run with its session', () => {
    const files = tensorboardLogdir([
      {
        name: 'lr=0.001,seed=1',
        hparams: { lr: 0.001, seed: 1 },
        scalars: [
          { tag: 'Loss/train', step: 1, value: 2.3, wallTime: 1700000001000 },
          { tag: 'Accuracy/val', step: 10, value: 0.5, wallTime: 1700000005000 },
        ],
        status: 'success',
      },
      {
        name: 'lr=0.01,seed=1',
        hparams: { lr: 0.01, seed: 1 },
        scalars: [{ tag: 'Loss/train', step: 1, value: 2.1, wallTime: 1700000007000 }],
        status: 'failure',
      },
    ]);
    expect(files.map((f) => f.path.replace(/tfevents\.\d+\.kiln\.\d+\.\d+$/, 'tfevents.T'))).toEqual([
      'events.out.tfevents.T',
      'lr=0.001,seed=1/events.out.tfevents.T',
      'lr=0.01,seed=1/events.out.tfevents.T',
    ]);
    const root = readHParams(files[0].bytes);
    expect(root).toHaveLength(1);
    expect(root[0].data).toMatchObject({
      experiment: {
        hparamInfos: [
          { name: 'lr', type: 3, discrete: [0.001, 0.01] },
          { name: 'seed', type: 3, discrete: [1] },
        ],
        metricInfos: [
          { group: '', tag: 'Accuracy/val', datasetType: 2 },
          { group: '', tag: 'Loss/train', datasetType: 1 },
        ],
      },
    });
    const first = readHParams(files[1].bytes);
    expect(first.map((v) => v.data)).toEqual([
      { sessionStart: { lr: 0.001, seed: 1 }, startTime: 1700000001 },
      { sessionEnd: 1, endTime: 1700000005 },
    ]);
    expect(readHParams(files[2].bytes)[1].data).toEqual({ sessionEnd: 2, endTime: 1700000007 });
  });
});
