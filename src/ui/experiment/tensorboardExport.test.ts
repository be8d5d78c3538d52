import { describe, expect, it } from 'vitest';
import { readEvent, readHParams, readRecords } from '../../train/testing';
import v3 from '../runs/fixtures/record-v3.json';
import { readStoredRun } from '../runs/storedRun';
import type { RunRecord } from '../store/runsSlice';
import { runHparams, tensorboardFiles } from './tensorboardExport';

const base = readStoredRun(structuredClone(v3));
const run = (id: string, name: string, extra: Partial<RunRecord> = {}, config = {}): RunRecord => ({
  ...base,
  id,
  name,
  config: { ...base.config, ...config },
  ...extra,
});

describe('the TensorBoard export', () => {
  it('names the settings that vary and the usual ones, one type per setting', () => {
    const runs = [
      run('a', 'a', {}, { lr: 0.001, clipNorm: null }),
      run('b', 'b', {}, { lr: 0.01, clipNorm: 1 }),
    ];
    const [a, b] = runHparams(runs);
    expect(Object.keys(a)).toEqual([
      'model',
      'dataset',
      'optimizer',
      'batch-size',
      'epochs',
      'seed',
      'lr',
      'clip-norm',
    ]);
    expect([a.lr, b.lr]).toEqual([0.001, 0.01]);
    // Off (text) and 1 (a number) among the runs: both written as text.
    expect([a['clip-norm'], b['clip-norm']]).toEqual(['off', '1']);
  });

  it("writes HParams data TensorBoard reads, each run's scalars in its folder, and its notes and tags as text", () => {
    const runs = [
      run('a', 'lr=0.001', { state: 'finished' }, { lr: 0.001 }),
      run('b', 'lr=0.01', { state: 'failed', notes: 'diverged *early*', tags: ['sweep'] }, { lr: 0.01 }),
    ];
    const files = tensorboardFiles(runs, {});
    expect(files.map((f) => f.path.split('/').slice(0, -1).join('/'))).toEqual([
      '',
      'lr=0.001',
      'lr=0.01',
      'lr=0.01',
    ]);
    const [summary] = readHParams(files[0].bytes);
    const infos = (
      summary.data as { experiment: { hparamInfos: { name: string }[]; metricInfos: { tag: string }[] } }
    ).experiment;
    expect(infos.hparamInfos.map((h) => h.name)).toContain('lr');
    expect(infos.metricInfos.map((m) => m.tag)).toEqual(['Loss/train', 'Accuracy/val']);
    const first = readHParams(files[1].bytes);
    expect(first[0].data).toMatchObject({ sessionStart: { lr: 0.001, optimizer: base.config.optimizer } });
    // api.proto's Status: SUCCESS 1, FAILURE 2.
    expect(first[1].data).toMatchObject({ sessionEnd: 1 });
    expect(readHParams(files[2].bytes)[1].data).toMatchObject({ sessionEnd: 2 });
    const logged = readRecords(files[1].bytes)
      .map(readEvent)
      .flatMap((e) => e.scalars.map((s) => s.tag));
    expect(logged.length).toBe(Object.values(base.series).reduce((n, s) => n + s.length, 0));
    const text = readRecords(files[3].bytes)
      .map(readEvent)
      .flatMap((e) => e.texts);
    expect(text).toHaveLength(1);
    expect(text[0].tag).toBe('notes/text_summary');
    expect(text[0].strings[0]).toBe('Tags: sweep\n\n    diverged *early*');
  });
});
