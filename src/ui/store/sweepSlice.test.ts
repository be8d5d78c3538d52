/** Sweeps in the store: queued one run after another, Stop ends them, and a reload goes on where they were. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PRESETS } from '../../nn/spec';
import { withFreshIndexedDB } from '../../storage/testing';
import type { SweepSpec } from '../../train/sweep';
import type { FromWorker, ToWorker } from '../../worker/protocol';
import { link } from '../link';
import { RunDb } from '../runs/runDb';
import { SweepDb } from '../runs/sweepDb';
import { useKiln } from './index';

withFreshIndexedDB();

const initial = useKiln.getState();
const info = {
  name: 'mnist',
  trainSize: 60000,
  testSize: 10000,
  inputShape: [1, 28, 28],
  numClasses: 10,
  fromCache: true,
  samples: [],
};

let sent: ToWorker[];
let receive: (msg: FromWorker) => void;

/**
 * A fresh page on the same IndexedDB: the store as a reload leaves it, the worker started, the data
 * loaded (from the cache, before the GPU is ready, where `dataFirst`).
 */
async function openPage(dataFirst = false) {
  useKiln.setState(initial, true);
  sent = [];
  vi.spyOn(link, 'send').mockImplementation((msg) => void sent.push(msg));
  vi.spyOn(link, 'start').mockImplementation((_backend, onReport) => {
    receive = onReport;
  });
  vi.spyOn(link, 'db').mockReturnValue(RunDb.open());
  vi.spyOn(link, 'sweepDb').mockReturnValue(SweepDb.open());
  useKiln.getState().startWorker('cpu');
  if (!dataFirst) receive({ type: 'ready', backend: 'cpu', adapter: null });
  receive({ type: 'datasetReady', ...info });
  if (dataFirst) {
    // The stored sweeps are read back meanwhile; the sweep waits for the worker.
    await vi.waitFor(() => expect(useKiln.getState().sweeps).not.toEqual([]));
    expect(trains()).toEqual([]);
    receive({ type: 'ready', backend: 'cpu', adapter: null });
  }
  useKiln.setState({ spec: structuredClone(PRESETS.simplenn) });
}

const trains = () => sent.filter((m) => m.type === 'train');

/** The worker's report that a run is in `state`. */
const status = (runId: string, state: 'running' | 'finished' | 'stopped'): FromWorker => ({
  type: 'status',
  runId,
  state,
  phase: state === 'running' ? 'training' : null,
  epoch: state === 'finished' ? 1 : 0,
  step: state === 'finished' ? 10 : 3,
  stepsPerEpoch: 10,
  epochs: 1,
  samplesPerSec: 0,
  valSeconds: null,
});

const spec: SweepSpec = {
  axes: [
    { field: 'lr', values: { kind: 'list', values: [1e-3, 1e-2] } },
    { field: 'seed', values: { kind: 'list', values: [1, 2] } },
  ],
  random: null,
};

beforeEach(() => openPage());

describe('sweeps', () => {
  it('trains the runs one after another, each tagged with its sweep, and finishes', async () => {
    expect(await useKiln.getState().startSweep(spec)).toBeNull();
    for (let i = 0; i < 4; i++) {
      expect(trains()).toHaveLength(i + 1);
      const msg = trains()[i] as Extract<ToWorker, { type: 'train' }>;
      expect([msg.config.lr, msg.config.seed]).toEqual([[1e-3, 1e-3, 1e-2, 1e-2][i], [1, 2, 1, 2][i]]);
      const run = useKiln.getState().runs.find((r) => r.id === msg.runId);
      expect(run?.name).toBe(`lr=${msg.config.lr},seed=${msg.config.seed}`);
      expect(run?.sweep).toMatchObject({ name: 'lr × seed', index: i, count: 4 });
      receive(status(msg.runId, 'running'));
      receive(status(msg.runId, 'finished'));
    }
    expect(trains()).toHaveLength(4);
    expect(useKiln.getState().sweeps[0]).toMatchObject({ state: 'finished', current: 4 });
    await vi.waitFor(async () => expect((await (await link.sweepDb())?.list())?.[0].state).toBe('finished'));
    // A second sweep of the same settings is told from the first.
    expect(await useKiln.getState().startSweep(spec)).toBeNull();
    expect(useKiln.getState().sweeps.map((w) => w.name)).toEqual(['lr × seed', 'lr × seed #2']);
  });

  it('draws random runs, each with every seed, the same draws for the same seed', async () => {
    const random: SweepSpec = {
      axes: [
        { field: 'lr', values: { kind: 'range', low: 1e-4, high: 1e-1, count: 4, scale: 'log' } },
        { field: 'seed', values: { kind: 'list', values: [1, 2] } },
      ],
      random: { count: 3, seed: 5 },
    };
    expect(await useKiln.getState().startSweep(random)).toBeNull();
    const [sweep] = useKiln.getState().sweeps;
    const lrs = sweep.runs.map((r) => r.config.lr);
    expect(sweep.runs.map((r) => r.config.seed)).toEqual([1, 2, 1, 2, 1, 2]);
    expect(lrs[1]).toBe(lrs[0]);
    expect(new Set(lrs).size).toBe(3);
    for (const lr of lrs) expect(lr >= 1e-4 && lr <= 1e-1).toBe(true);
    expect(sweep.runs[0].name).toBe(`lr=${lrs[0]},seed=1`);
    // The same spec draws the same runs (the CLI's --random with --sweep-seed 5 too).
    useKiln.getState().stopSweep(sweep.id);
    await useKiln.getState().startSweep(random);
    expect(useKiln.getState().sweeps[1].runs.map((r) => r.config.lr)).toEqual(lrs);
  });

  it('refuses a sweep with a run that cannot train before starting any, naming it', async () => {
    const bad: SweepSpec = { ...spec, axes: [{ field: 'lr', values: { kind: 'list', values: [1e-3, -1] } }] };
    expect(await useKiln.getState().startSweep(bad)).toBe(
      'run lr=-1: the learning rate must be a finite number > 0, got -1',
    );
    expect(trains()).toEqual([]);
    expect(useKiln.getState().sweeps).toEqual([]);
  });

  it('stops on Stop, pauses on Pause, and goes on with Resume', async () => {
    await useKiln.getState().startSweep(spec);
    const [first] = trains() as Extract<ToWorker, { type: 'train' }>[];
    const id = useKiln.getState().sweeps[0].id;
    receive(status(first.runId, 'running'));
    useKiln.getState().pauseSweep(id);
    expect(sent.at(-1)).toEqual({ type: 'pause', runId: first.runId });
    expect(useKiln.getState().sweeps[0].state).toBe('paused');
    // The run finishes all the same (the pause came too late): the next does not start while paused.
    receive(status(first.runId, 'finished'));
    expect(trains()).toHaveLength(1);
    await useKiln.getState().resumeSweep(id);
    expect(trains()).toHaveLength(2);
    const second = trains()[1] as Extract<ToWorker, { type: 'train' }>;
    receive(status(second.runId, 'running'));
    useKiln.getState().stopSweep(id);
    expect(sent.at(-1)).toEqual({ type: 'stop', runId: second.runId });
    receive(status(second.runId, 'stopped'));
    expect(trains()).toHaveLength(2);
    expect(useKiln.getState().sweeps[0]).toMatchObject({ state: 'stopped', current: 1 });
  });

  it('goes on after a reload: the run in hand from its checkpoint, or again without one', async () => {
    await useKiln.getState().startSweep(spec);
    const first = trains()[0] as Extract<ToWorker, { type: 'train' }>;
    receive(status(first.runId, 'running'));
    receive(status(first.runId, 'finished'));
    const second = trains()[1] as Extract<ToWorker, { type: 'train' }>;
    receive(status(second.runId, 'running'));
    // Stored as the page goes away: the records, the queue at its second run, no checkpoint yet.
    await vi.waitFor(async () =>
      expect((await (await link.sweepDb())?.list())?.[0].runs[1].runId).toBe(second.runId),
    );
    await vi.waitFor(async () => expect((await (await link.db())?.list())?.runs).toHaveLength(2));

    await openPage();
    await vi.waitFor(() => expect(trains()).toHaveLength(1));
    const again = trains()[0] as Extract<ToWorker, { type: 'train' }>;
    // The second run again, under a new record; the interrupted one (nothing kept of it) is gone.
    expect([again.config.lr, again.config.seed, again.resume]).toEqual([1e-3, 2, undefined]);
    expect(useKiln.getState().runs.map((r) => r.name)).toEqual(['lr=0.001,seed=1', 'lr=0.001,seed=2']);
    expect(useKiln.getState().runs.some((r) => r.id === second.runId)).toBe(false);

    // With a checkpoint stored, a reload resumes the run from it, under its own record.
    receive(status(again.runId, 'running'));
    receive({
      type: 'checkpoint',
      runId: again.runId,
      kind: 'auto',
      fileName: 'r.safetensors',
      bytes: Uint8Array.of(7),
      epoch: 0,
      step: 5,
    });
    await vi.waitFor(async () =>
      expect(await (await link.db())?.checkpoint(again.runId)).toEqual(Uint8Array.of(7)),
    );
    await vi.waitFor(async () =>
      expect((await (await link.db())?.list())?.runs.find((r) => r.id === again.runId)?.hasCheckpoint).toBe(
        true,
      ),
    );
    await openPage(true);
    await vi.waitFor(() => expect(trains()).toHaveLength(1));
    expect(trains()[0]).toMatchObject({ runId: again.runId, resume: Uint8Array.of(7) });
  });

  it('after a reload, takes a run whose last report was not stored but whose epochs are done as finished', async () => {
    await useKiln.getState().startSweep(spec);
    const first = trains()[0] as Extract<ToWorker, { type: 'train' }>;
    receive(status(first.runId, 'running'));
    receive({
      type: 'epochEnd',
      runId: first.runId,
      epoch: first.config.epochs,
      step: 10 * first.config.epochs,
      valLoss: 0.5,
      valAcc: 0.9,
      perClassAcc: [],
      confusion: [],
      misclassified: [],
    });
    await vi.waitFor(async () =>
      expect((await (await link.db())?.list())?.runs[0]).toMatchObject({
        epoch: first.config.epochs,
        state: 'running',
      }),
    );
    await vi.waitFor(async () =>
      expect((await (await link.sweepDb())?.list())?.[0].runs[0].runId).toBe(first.runId),
    );

    await openPage();
    await vi.waitFor(() => expect(trains()).toHaveLength(1));
    expect(trains()[0]).toMatchObject({ config: { lr: 1e-3, seed: 2 } });
    expect(useKiln.getState().runs.find((r) => r.id === first.runId)?.state).toBe('finished');
    expect(useKiln.getState().sweeps[0].current).toBe(1);
  });
});
