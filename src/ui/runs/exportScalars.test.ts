import { describe, expect, it } from 'vitest';
import { readEvent, readRecords } from '../../train/testing';
import type { ChartRun } from '../charts/types';
import type { HistogramPoint } from '../inside/histogramMath';
import { eventFile, tagCsv } from './exportScalars';

const run: ChartRun = {
  id: 'r1',
  name: 'SimpleNN #1',
  color: '#000',
  visible: true,
  series: {
    'Loss/train': [
      { step: 10, value: 2, wallTime: 1_700_000_010_000, epoch: 0.1 },
      { step: 50, value: 1, wallTime: 1_700_000_050_000, epoch: 0.5 },
    ],
    'grad_norm/fc1.weight': [{ step: 50, value: 0.25, wallTime: 1_700_000_050_000, epoch: 0.5 }],
  },
};

/** fc1.weight at step 50: values 0, 0.5, 1, 1.5, 2, 2, 3.75, 4 in four bins over [0, 4]. */
const weight: HistogramPoint = {
  step: 50,
  wallTime: 1_700_000_050_000,
  lo: 0,
  hi: 4,
  counts: Uint32Array.from([2, 2, 2, 2]),
  nan: 1,
  posInf: 0,
  negInf: 0,
  min: 0,
  max: 4,
  sum: 14.75,
  sumSquares: 42.5625,
};

describe('eventFile', () => {
  it("holds the run's scalars and histograms under TensorBoard's tags, in wall-time order, for an independent reader", () => {
    const { name, bytes } = eventFile(run, {
      'fc1.weight': [weight],
      'fc1.weight.grad': [{ ...weight, step: 50 }],
    });
    expect(name).toMatch(/^events\.out\.tfevents\.1700000010\.kiln\.\d+\.\d+$/);
    const events = readRecords(bytes).map(readEvent);
    expect(events[0].fileVersion).toBe('brain.Event:2');
    expect(
      events
        .slice(1)
        .map((e) => [
          Number(e.step),
          e.wallTime,
          ...e.scalars.map((s) => s.tag),
          ...e.histograms.map((h) => h.tag),
        ]),
    ).toEqual([
      [10, 1700000010, 'Loss/train'],
      [50, 1700000050, 'Loss/train'],
      [50, 1700000050, 'grad_norm/fc1.weight'],
      [50, 1700000050, 'fc1.weight'],
      [50, 1700000050, 'fc1.weight.grad'],
    ]);
    expect(events[4].histograms[0]).toEqual({
      tag: 'fc1.weight',
      min: 0,
      max: 4,
      num: 8,
      sum: 14.75,
      sumSquares: 42.5625,
      bucketLimit: [1, 2, 3, 4],
      bucket: [2, 2, 2, 2],
    });
  });

  it('writes scalars alone when the page holds no histograms for the run', () => {
    const events = readRecords(eventFile(run).bytes).map(readEvent);
    expect(events.flatMap((e) => e.histograms)).toEqual([]);
    expect(events.flatMap((e) => e.scalars).map((s) => s.value)).toEqual([2, 1, 0.25]);
  });
});

describe('tagCsv', () => {
  it("writes one tag as TensorBoard's Download CSV does", () => {
    expect(tagCsv(run, 'grad_norm/fc1.weight').trim().split('\r\n')).toEqual([
      'Wall time,Step,Value',
      '1700000050.0,50,0.25',
    ]);
  });
});
