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
import { readHParams } from './testing';

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
