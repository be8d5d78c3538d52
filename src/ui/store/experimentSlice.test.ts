import { beforeEach, describe, expect, it, vi } from 'vitest';
import { withFreshIndexedDB } from '../../storage/testing';
import { downloadBytes } from '../download';
import { readExperiment } from '../experiment/experimentFile';
import { link } from '../link';
import v3 from '../runs/fixtures/record-v3.json';
import { RunDb } from '../runs/runDb';
import { readStoredRun } from '../runs/storedRun';
import { currentExperiment } from './experimentSlice';
import { useKiln } from './index';

withFreshIndexedDB();
// Node has no document to click a link in; the tests see what would be downloaded.
vi.mock('../download', async (actual) => ({ ...(await actual()), downloadBytes: vi.fn() }));

const initial = useKiln.getState();
const run = (id: string, lr: number, tags?: string[]) => ({
  ...readStoredRun({ ...structuredClone(v3), id, name: `lr=${lr} ${id}`, createdAt: Number(id.slice(1)) }),
  config: { ...readStoredRun(structuredClone(v3)).config, lr },
  ...(tags ? { tags } : {}),
});

beforeEach(() => {
  useKiln.setState(initial, true);
  vi.mocked(downloadBytes).mockClear();
  const db = RunDb.open();
  vi.spyOn(link, 'db').mockReturnValue(db);
  useKiln
    .getState()
    .restoreRuns([run('r1', 1e-3, ['baseline']), run('r2', 1e-2), run('r3', 1e-1, ['baseline'])]);
});

describe('experiments in the store', () => {
  it('exports the shown runs only (the filter, by tag too, and the brushes), with the view, weights when asked', async () => {
    const s = useKiln.getState();
    s.setRunFilter('baseline');
    s.setHparams({ brushes: [{ key: 'lr', lo: 1e-4, hi: 2e-2 }], groupBy: 'lr' });
    await (await link.db())?.putCheckpoint('r1', Uint8Array.of(9, 9));
    const e = await currentExperiment(useKiln.getState(), 'sweep', true);
    expect(e.runs.map((r) => r.id)).toEqual(['r1']);
    expect(e.view.runFilter).toBe('baseline');
    expect(e.view.hparams.groupBy).toBe('lr');
    expect(e.checkpoints).toEqual({ r1: Uint8Array.of(9, 9) });
    expect((await currentExperiment(useKiln.getState(), 'sweep', false)).checkpoints).toEqual({});

    expect(await useKiln.getState().exportExperiment('lr sweep', false)).toBe(
      'lr_sweep.kiln-experiment.json.gz',
    );
    const [bytes, name] = vi.mocked(downloadBytes).mock.calls[0];
    expect(name).toBe('lr_sweep.kiln-experiment.json.gz');
    expect((await readExperiment(bytes as Uint8Array, name)).runs.map((r) => r.id)).toEqual(['r1']);
  });

  it('opens a file read-only apart from the runs, refuses a damaged one leaving all as it was, and closes', async () => {
    await useKiln.getState().exportExperiment('all', false);
    const bytes = new Uint8Array(vi.mocked(downloadBytes).mock.calls[0][0] as Uint8Array);
    const runsBefore = useKiln.getState().runs;
    const broken = new File([bytes.subarray(0, 40)], 'all.kiln-experiment.json.gz');
    expect(await useKiln.getState().openExperiment(broken)).toMatch(
      /^all.kiln-experiment.json.gz is truncated/,
    );
    expect(useKiln.getState().experiment).toBeNull();
    expect(
      await useKiln.getState().openExperiment(new File([bytes], 'all.kiln-experiment.json.gz')),
    ).toBeNull();
    expect(useKiln.getState().experiment?.runs.map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
    // The user's own runs are untouched: the experiment's are not mixed in.
    expect(useKiln.getState().runs).toBe(runsBefore);
    useKiln.getState().closeExperiment();
    expect(useKiln.getState().experiment).toBeNull();
  });
});
