import { describe, expect, it } from 'vitest';
import { readEvent, readRecords } from '../../train/testing';
import v3 from '../runs/fixtures/record-v3.json';
import { readStoredRun } from '../runs/storedRun';
import type { RunRecord } from '../store/runsSlice';
import { runFolders, tensorboardFiles } from './tensorboardExport';

const run = (id: string, name: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  ...readStoredRun({ ...structuredClone(v3), id, name }),
  ...extra,
});

describe('the TensorBoard export', () => {
  it('names one folder per run, file-safe, repeats numbered', () => {
    expect(runFolders(['lr=0.01 seed 1', 'a/b', 'A/B', '..', '../..'])).toEqual([
      'lr_0.01_seed_1',
      'a_b',
      'A_B-2',
      '__',
      '.._..',
    ]);
  });

  it("writes each run's scalars in its folder, and its notes and tags as text", () => {
    const runs = [run('a', 'first'), run('b', 'second', { notes: 'diverged *early*', tags: ['sweep'] })];
    const files = tensorboardFiles(runs, {});
    expect(files.map((f) => f.path.split('/')[0])).toEqual(['first', 'second']);
    const events = readRecords(files[0].bytes).map(readEvent);
    const logged = events.flatMap((e) => e.scalars.map((s) => s.tag));
    const tags = Object.keys(runs[0].series);
    expect(new Set(logged)).toEqual(new Set(tags));
    expect(logged.length).toBe(Object.values(runs[0].series).reduce((n, s) => n + s.length, 0));
    expect(events.flatMap((e) => e.texts)).toEqual([]);
    // The notes come last in the run's one event file, after its scalars.
    const second = readRecords(files[1].bytes).map(readEvent);
    const text = second.flatMap((e) => e.texts);
    expect(second.at(-1)?.texts).toEqual(text);
    expect(text).toHaveLength(1);
    expect(text[0].tag).toBe('notes/text_summary');
    expect(text[0].strings[0]).toBe('Tags: sweep\n\n    diverged *early*');
  });
});
