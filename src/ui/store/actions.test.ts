import { beforeEach, describe, expect, it, vi } from 'vitest';
import { countParameters, PRESETS } from '../../nn/spec';
import { simulateFullDisk, withFreshIndexedDB } from '../../storage/testing';
import { configProblems, DEFAULT_CONFIG } from '../../train/config';
import { encodeSafetensors, safetensorsMetadata } from '../../train/safetensors';
import type { FromWorker, ToWorker } from '../../worker/protocol';
import { downloadBytes } from '../download';
import { link } from '../link';
import { RunDb } from '../runs/runDb';
import { MAX_RUN_NAME } from '../runs/storedRun';
import { useKiln } from './index';
import { whyNotResumable } from './runActions';
import { encodeSetup } from './setup';

withFreshIndexedDB();
// Node has no document to click a link in; the tests see what would be downloaded.
vi.mock('../download', async (actual) => ({ ...(await actual()), downloadBytes: vi.fn() }));

const initial = useKiln.getState();
const model = PRESETS.simplenn;
const info = {
  name: 'mnist',
  trainSize: 60000,
  testSize: 10000,
  inputShape: [1, 28, 28],
  numClasses: 10,
  fromCache: true,
  samples: [],
};

/** The commands the store sent, and its report router (captured from link.start). */
let sent: ToWorker[];
let receive: (msg: FromWorker) => void;

beforeEach(() => {
  useKiln.setState(initial, true);
  sent = [];
  vi.spyOn(link, 'send').mockImplementation((msg) => void sent.push(msg));
  vi.spyOn(link, 'start').mockImplementation((_backend, onReport) => {
    receive = onReport;
  });
  const db = RunDb.open();
  vi.spyOn(link, 'db').mockReturnValue(db);
  useKiln.getState().startWorker('cpu');
  receive({ type: 'ready', backend: 'cpu', adapter: null });
});

const run = (id: string) => useKiln.getState().runs.find((r) => r.id === id);
const epochEnd = (runId: string, epoch: number): FromWorker => ({
  type: 'epochEnd',
  runId,
  epoch,
  step: epoch * 10,
  valLoss: 0.5,
  valAcc: 0.9,
  perClassAcc: [],
  confusion: [],
  misclassified: [],
});

describe('the store actions', () => {
  it('asks for a checkpoint of each training run when the page goes away, and a reload resumes from it mid-epoch', async () => {
    const id = useKiln.getState().trainRun();
    const status = { runId: id, phase: 'training', epoch: 0, stepsPerEpoch: 10, epochs: 3 } as const;
    const more = { samplesPerSec: 0, valSeconds: null };
    receive({ type: 'status', ...status, ...more, state: 'running', step: 3 });
    useKiln.getState().checkpointTraining();
    expect(sent.at(-1)).toEqual({ type: 'checkpointNow', runId: id });
    receive({
      type: 'checkpoint',
      runId: id,
      kind: 'auto',
      fileName: 'r.safetensors',
      bytes: Uint8Array.of(1),
      epoch: 0,
      step: 5,
    });
    await vi.waitFor(() =>
      expect(run(id)).toMatchObject({ hasCheckpoint: true, checkpointEpoch: 0, checkpointStep: 5 }),
    );
    await vi.waitFor(async () =>
      expect((await link.db())?.checkpoint(id)).resolves.toEqual(Uint8Array.of(1)),
    );

    // The reload: the run was training, so it comes back stopped, with Resume from step 5.
    useKiln.setState(initial, true);
    useKiln.getState().startWorker('cpu');
    receive({ type: 'ready', backend: 'cpu', adapter: null });
    receive({ type: 'datasetReady', ...info });
    await vi.waitFor(() => expect(run(id)).toMatchObject({ state: 'stopped', checkpointStep: 5 }));
    expect(whyNotResumable(run(id)!, useKiln.getState())).toBeNull();
    useKiln.getState().checkpointTraining();
    expect(sent.at(-1)).not.toEqual({ type: 'checkpointNow', runId: id });
  });

  it('marks an auto-checkpoint only once it is stored: after a full disk the run resumes from the one before', async () => {
    const id = useKiln.getState().trainRun();
    receive(epochEnd(id, 1));
    await useKiln.getState().storeCheckpoint(id, Uint8Array.of(1), { epoch: 1, step: 10 });
    expect(run(id)).toMatchObject({ hasCheckpoint: true, checkpointEpoch: 1, checkpointStep: 10 });
    receive(epochEnd(id, 2));
    simulateFullDisk('checkpoints', 'request');
    await useKiln.getState().storeCheckpoint(id, Uint8Array.of(2), { epoch: 2, step: 20 });
    expect(run(id)).toMatchObject({ checkpointEpoch: 1, checkpointStep: 10 });
    expect(useKiln.getState().notice?.title).toBe('Storage is full');
    vi.mocked(link.db).mockRestore();
    expect(await (await RunDb.open()).checkpoint(id)).toEqual(Uint8Array.of(1));
  });

  it("loads the user's files and MNIST on through a full disk, with a notice that they were not cached", async () => {
    receive({ type: 'datasetReady', ...info });
    await useKiln.getState().addUserDataset([new File(['label,p0\n1,0\n'], 'digits.csv')]);
    expect(useKiln.getState().dataset).toMatchObject({ status: 'loading', loading: 'digits' });
    receive({ type: 'error', kind: 'quota', message: 'digits: cannot be stored: storage is full' });
    expect(useKiln.getState().notice?.title).toBe('Storage is full');
    expect(useKiln.getState().dataset.status).toBe('loading');
    receive({ type: 'datasetReady', ...info, name: 'digits' });
    expect(useKiln.getState().dataset).toMatchObject({ status: 'ready', loading: null, error: null });
    useKiln.getState().loadMnist();
    receive({ type: 'error', kind: 'quota', message: 'mnist: cannot be stored' });
    expect(useKiln.getState().dataset.status).toBe('loading');
  });

  it('opens an uploaded full checkpoint as the run it was, with its settings and charts', async () => {
    receive({ type: 'datasetReady', ...info });
    const config = {
      ...DEFAULT_CONFIG,
      optimizer: 'adamw' as const,
      weightDecay: 0.01,
      batchSize: 50,
      epochs: 3,
    };
    const history = [
      { tag: 'Loss/train', value: 2, step: 10, wallTime: 1 },
      { tag: 'Loss/train', value: 1, step: 70, wallTime: 2 },
    ];
    vi.spyOn(link, 'request').mockImplementation(async (msg) => ({
      type: 'checkpointLoaded',
      runId: (msg as { runId: string }).runId,
      model,
      run: { config, epoch: 1, step: 70, loss: 1, dataset: 'mnist', trainSamples: 3000, history },
    }));
    expect(
      await useKiln.getState().uploadCheckpoint(new File([Uint8Array.of(1)], 'old.safetensors')),
    ).toBeNull();
    const uploaded = useKiln.getState().runs[0];
    expect(uploaded).toMatchObject({
      name: 'old',
      config,
      state: 'stopped',
      epoch: 1,
      step: 70,
      stepsPerEpoch: 60,
      hasCheckpoint: true,
      checkpointEpoch: 1,
    });
    expect(uploaded.series['Loss/train'].map((p) => [p.step, p.value])).toEqual([
      [10, 2],
      [70, 1],
    ]);
    expect(whyNotResumable(uploaded, useKiln.getState())).toBeNull();
    await useKiln.getState().resumeRun(uploaded.id);
    expect(sent.at(-1)).toMatchObject({ type: 'train', runId: uploaded.id, config });
  });

  it("keeps an uploaded file's run name and dates, and dates the upload apart", async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const id = useKiln.getState().trainRun();
    useKiln.getState().renameRun(id, 'wide MLP · lr 0.1');
    // The worker's checkpoint carries no name: the page labels what it hands out.
    const file = encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: Float32Array.of(3) } });
    await useKiln.getState().storeCheckpoint(id, file, { epoch: 1, step: 10 });
    useKiln.getState().setRunState(id, 'stopped');
    await useKiln.getState().downloadCheckpoint(id, 'checkpoint');
    const [checkpoint, checkpointName] = vi.mocked(downloadBytes).mock.calls.at(-1)!;
    expect(checkpointName).toBe('wide_MLP_lr_0.1-checkpoint.safetensors');
    // A state dict exported by the worker is labelled too.
    receive({ type: 'checkpoint', runId: id, kind: 'model', fileName: 'x', bytes: file, epoch: 1, step: 10 });
    const [stateDict, stateDictName] = vi.mocked(downloadBytes).mock.calls.at(-1)!;
    expect(stateDictName).toBe('wide_MLP_lr_0.1.safetensors');
    for (const bytes of [checkpoint, stateDict])
      expect(JSON.parse(safetensorsMetadata(bytes as Uint8Array)['kiln.run'])).toEqual({
        name: 'wide MLP · lr 0.1',
        createdAt: 1_700_000_000_000,
      });

    vi.mocked(Date.now).mockReturnValue(1_700_000_900_000);
    vi.spyOn(link, 'request').mockImplementation(async (msg) => ({
      type: 'checkpointLoaded',
      runId: (msg as { runId: string }).runId,
      model,
    }));
    const upload = (bytes: Uint8Array, name: string) =>
      useKiln.getState().uploadCheckpoint(new File([bytes as Uint8Array<ArrayBuffer>], name));
    expect(await upload(stateDict as Uint8Array, 'downloaded (2).safetensors')).toBeNull();
    const uploaded = useKiln.getState().runs.at(-1);
    expect(uploaded).toMatchObject({
      name: 'wide MLP · lr 0.1',
      createdAt: 1_700_000_000_000,
      uploadedAt: 1_700_000_900_000,
    });
    // Kept across a reload as it is shown.
    await vi.waitFor(async () => {
      const stored = (await (await RunDb.open()).list()).runs.find((r) => r.id === uploaded?.id);
      expect(stored).toMatchObject({ name: 'wide MLP · lr 0.1', uploadedAt: 1_700_000_900_000 });
    });
    // A file without a label (from PyTorch, or an older Kiln) is named after itself, dated at upload.
    expect(await upload(file, 'from-torch.safetensors')).toBeNull();
    expect(useKiln.getState().runs.at(-1)).toMatchObject({
      name: 'from-torch',
      createdAt: 1_700_000_900_000,
      uploadedAt: 1_700_000_900_000,
    });
    vi.mocked(Date.now).mockRestore();
  });

  it("keeps a run's last histograms across a reload, and says whose were not kept", async () => {
    const id = useKiln.getState().trainRun();
    const bins = (n: number) => ({
      tag: 'fc1.weight',
      lo: -1,
      hi: 1,
      counts: Uint32Array.of(n, 1, 2),
      nan: 0,
      posInf: 0,
      negInf: 0,
      min: -1,
      max: 1,
      sum: 0.5,
      sumSquares: 3,
    });
    for (const step of [1, 10, 20])
      receive({ type: 'histograms', runId: id, step, wallTime: step, items: [bins(step)] });
    receive(epochEnd(id, 1));
    const shown = useKiln.getState().histograms[id];
    expect(shown['fc1.weight'].map((p) => p.step)).toEqual([1, 10, 20]);
    const db = await RunDb.open();
    await vi.waitFor(async () => expect((await db.keptHistograms()).histograms[id]).toEqual(shown));

    // The next visit: the run and its histograms come back as they were.
    useKiln.setState(initial, true);
    useKiln.getState().startWorker('cpu');
    await vi.waitFor(() => expect(useKiln.getState().histograms[id]).toEqual(shown));
    expect(useKiln.getState().histogramsNotKept).toEqual({});

    // A run over the budget is marked, for the panel to say so.
    await db.putHistograms('other', 5, { w: [{ ...shown['fc1.weight'][0] }] }, 10);
    useKiln.setState(initial, true);
    useKiln.getState().startWorker('cpu');
    await vi.waitFor(() => expect(useKiln.getState().histogramsNotKept).toEqual({ other: 'too-large' }));

    // A deleted run's histograms go with it; an undone delete stores them again.
    await useKiln.getState().deleteRun(id);
    expect((await db.keptHistograms()).histograms[id]).toBeUndefined();
    await useKiln.getState().undoDelete();
    await vi.waitFor(async () => expect((await db.keptHistograms()).histograms[id]).toEqual(shown));
  });

  it('says why an upload failed when the worker dies, and adds no run', async () => {
    vi.spyOn(link, 'request').mockRejectedValue(new Error('the training worker failed'));
    const why = await useKiln.getState().uploadCheckpoint(new File([Uint8Array.of(1)], 'x.safetensors'));
    expect(why).toBe('x.safetensors: the training worker failed');
    expect(useKiln.getState().runs).toEqual([]);
  });

  it('keeps a run whose resume met other data stopped, with Resume off until other data load', async () => {
    receive({ type: 'datasetReady', ...info });
    const id = useKiln.getState().trainRun();
    receive(epochEnd(id, 1));
    await useKiln.getState().storeCheckpoint(id, Uint8Array.of(1), { epoch: 1, step: 10 });
    useKiln.getState().setRunState(id, 'stopped');
    await useKiln.getState().resumeRun(id);
    expect(run(id)?.state).toBe('queued');
    receive({
      type: 'error',
      kind: 'data-mismatch',
      runId: id,
      message: 'the checkpoint trained on other data',
    });
    const refused = run(id);
    expect(refused?.state).toBe('stopped');
    expect(refused && whyNotResumable(refused, useKiln.getState())).toBe(
      'the checkpoint trained on other data',
    );
    receive({ type: 'datasetReady', ...info });
    const again = run(id);
    expect(again && whyNotResumable(again, useKiln.getState())).toBeNull();
  });

  it("names a run's PyTorch script by the run", () => {
    const id = useKiln.getState().trainRun();
    useKiln.getState().renameRun(id, 'wide MLP / lr 0.1');
    useKiln.getState().downloadPytorch(id);
    const [text, name] = vi.mocked(downloadBytes).mock.calls.at(-1)!;
    expect(name).toBe('train_wide_MLP_lr_0.1.py');
    expect(text).toContain('def make_model():');
  });

  it('tells the worker to free a deleted run', async () => {
    const id = useKiln.getState().trainRun();
    await useKiln.getState().deleteRun(id);
    expect(sent.at(-1)).toEqual({ type: 'disposeRun', runId: id });
    expect(useKiln.getState().runs).toEqual([]);
  });

  it('undoes a delete: the run, its state and its checkpoint come back, and the worker is not asked to hold it', async () => {
    const first = useKiln.getState().trainRun();
    const id = useKiln.getState().trainRun();
    receive(epochEnd(id, 1));
    await useKiln.getState().storeCheckpoint(id, Uint8Array.of(7), { epoch: 1, step: 10 });
    await useKiln.getState().deleteRun(id);
    expect(useKiln.getState().runs.map((r) => r.id)).toEqual([first]);
    expect(await (await RunDb.open()).checkpoint(id)).toBeUndefined();
    await useKiln.getState().undoDelete();
    expect(useKiln.getState().runs.map((r) => r.id)).toEqual([first, id]);
    expect(run(id)).toMatchObject({ state: 'stopped', epoch: 1, hasCheckpoint: true, checkpointEpoch: 1 });
    expect(useKiln.getState()).toMatchObject({ activeRunId: id, deletedRun: null });
    const db = await RunDb.open();
    expect(await db.checkpoint(id)).toEqual(Uint8Array.of(7));
    expect((await db.list()).runs.map((r) => r.id)).toContain(id);
    expect(link.holds(id)).toBe(false);
  });

  it('opens a linked setup over the saved one; a bad link leaves the saved one with a notice', () => {
    const s = useKiln.getState();
    const saved = JSON.stringify({ model: PRESETS.lenet, config: { ...DEFAULT_CONFIG, epochs: 5 } });
    const linked = encodeSetup({ model: PRESETS.cnn, config: { ...DEFAULT_CONFIG, lr: 0.05 } });
    s.restoreSetup(linked, saved);
    expect(useKiln.getState()).toMatchObject({ presetKey: 'cnn', edited: false, config: { lr: 0.05 } });
    s.restoreSetup('not-a-setup', saved);
    expect(useKiln.getState()).toMatchObject({ presetKey: 'lenet', config: { epochs: 5 } });
    expect(useKiln.getState().notice?.title).toBe("This link's setup could not be opened");
  });

  it('keeps the defaults when the saved setup cannot be read', () => {
    useKiln.getState().restoreSetup(null, '{"model": {"name": "x"}}');
    expect(useKiln.getState()).toMatchObject({ spec: initial.spec, config: initial.config, notice: null });
  });

  it('brings back a kept model with a layer that does not fit, and the form with it, marked by a notice', () => {
    const [flatten, fc1, relu, fc2] = PRESETS.simplenn.layers;
    const spec = { ...PRESETS.simplenn, layers: [flatten, fc1, relu, { ...fc2, inFeatures: 100 }] };
    const config = { ...DEFAULT_CONFIG, lr: 0.01, epochs: 2 };
    useKiln.getState().restoreSetup(null, JSON.stringify({ model: spec, config }));
    expect(useKiln.getState()).toMatchObject({ spec, config, edited: true });
    expect(useKiln.getState().notice).toMatchObject({
      kind: 'warn',
      title: 'Your model was kept as you left it, with a problem',
    });
    expect(useKiln.getState().notice?.message).toMatch(/^layer fc2 \(Linear\): .*Fix it in the builder/);
  });

  it("loads a run's model and settings into the builder and form", () => {
    const s = useKiln.getState();
    s.loadPreset('lenet');
    s.setOptimizer('sgd');
    s.setConfig({ momentum: 0.9, epochs: 2 });
    const id = s.trainRun();
    s.loadPreset('simplenn');
    s.setConfig({ epochs: 9 });
    s.loadRunSettings(id);
    expect(useKiln.getState().spec).toEqual(PRESETS.lenet);
    // Normalisation is the new run's data's to compute, whatever the old run's gave.
    expect(useKiln.getState().config).toEqual({ ...run(id)?.config, mean: null, std: null });
  });

  it('gives each dataset its own validation split: a table picked twice never leaves its split on MNIST', async () => {
    const digits = { ...info, name: 'digits', trainSize: 3000 };
    receive({ type: 'datasetReady', ...info });
    expect(useKiln.getState().config.valSplit).toBe(5000);
    for (let i = 0; i < 2; i++) {
      await useKiln.getState().addUserDataset([new File(['label,p0\n1,0\n'], 'digits.csv')]);
      receive({ type: 'datasetReady', ...digits });
      expect(useKiln.getState().config.valSplit).toBe(300);
    }
    expect(useKiln.getState().dataset.fromFiles).toBe(true);
    useKiln.getState().setConfig({ valSplit: 150, limit: 1000 });
    useKiln.getState().loadMnist();
    receive({ type: 'datasetReady', ...info });
    expect(useKiln.getState().config).toMatchObject({ valSplit: 5000, limit: null });
    expect(useKiln.getState().dataset.fromFiles).toBe(false);
    useKiln.getState().setConfig({ valSplit: 2000 });
    useKiln.getState().loadCachedDataset('digits');
    receive({ type: 'datasetReady', ...digits });
    expect(useKiln.getState().config).toMatchObject({ valSplit: 150, limit: 1000 });

    // A reload with the table chosen: the kept setup holds MNIST's own split, which comes back.
    const saved = JSON.stringify(useKiln.getState().currentSetup());
    useKiln.setState(initial, true);
    useKiln.getState().restoreSetup(null, saved);
    expect(useKiln.getState().config.valSplit).toBe(150);
    useKiln.getState().startWorker('cpu');
    receive({ type: 'datasetReady', ...digits });
    useKiln.getState().loadMnist();
    receive({ type: 'datasetReady', ...info });
    expect(useKiln.getState().config.valSplit).toBe(2000);
  });

  it('ignores per-dataset settings a kept setup holds wrongly, keeping the rest of the setup', () => {
    const kept = (datasetSettings: unknown) =>
      JSON.stringify({ model: PRESETS.lenet, config: DEFAULT_CONFIG, datasetSettings });
    for (const bad of [{ 'builtin:mnist': { valSplit: -1 } }, { 'builtin:mnist': { lr: 1 } }, 'x']) {
      useKiln.getState().restoreSetup(null, kept(bad));
      expect(useKiln.getState()).toMatchObject({ presetKey: 'lenet', datasetSettings: {} });
    }
    useKiln.getState().restoreSetup(null, kept({ 'cached:iris': { valSplit: 15 } }));
    expect(useKiln.getState().datasetSettings).toEqual({ 'cached:iris': { valSplit: 15 } });
  });

  it('cuts a run name past the limit, saying so, and keeps a short one as it is', () => {
    const s = useKiln.getState();
    const id = s.trainRun();
    s.renameRun(id, 'x'.repeat(100_000));
    expect(run(id)?.name).toBe('x'.repeat(MAX_RUN_NAME));
    expect(useKiln.getState().notice).toMatchObject({ title: 'Run name cut' });
    useKiln.getState().setNotice(null);
    s.renameRun(id, 'short');
    expect([run(id)?.name, useKiln.getState().notice]).toEqual(['short', null]);
  });

  it('keeps the chosen dataset with the setup, fits the MLP to a table, and loads the choice again on reload', async () => {
    const iris = { ...info, name: 'iris', trainSize: 300, testSize: 0, inputShape: [4], numClasses: 3 };
    await useKiln.getState().addUserDataset([new File(['a,b,c,d,y\n1,2,3,4,0\n'], 'iris.csv')]);
    receive({ type: 'datasetReady', ...iris, fromCache: false, rows: [] });
    const s = useKiln.getState();
    expect(s.dataset.fromFiles).toBe(true);
    expect(s.spec.inputShape).toEqual([4]);
    expect(s.spec.layers.at(-1)).toMatchObject({ outFeatures: 3 });
    const saved = JSON.stringify(s.currentSetup());
    expect(JSON.parse(saved).dataset).toEqual({ kind: 'cached', name: 'iris' });

    // A reload: the kept setup is read before the worker starts, which then loads the kept dataset.
    useKiln.setState(initial, true);
    sent = [];
    useKiln.getState().restoreSetup(null, saved);
    expect(useKiln.getState()).toMatchObject({ presetKey: 'simplenn', edited: false });
    useKiln.getState().startWorker('cpu');
    expect(sent).toContainEqual({ type: 'loadDataset', source: { kind: 'cached', name: 'iris' } });
    // Gone from the cache since: one notice, and MNIST in its place.
    receive({ type: 'error', kind: 'dataset', message: 'iris: is no longer cached in this browser' });
    expect(useKiln.getState().notice?.message).toMatch(
      /^iris: is no longer cached.*MNIST is loaded in its place/,
    );
    expect(sent.at(-1)).toEqual({ type: 'loadDataset', source: { kind: 'builtin', id: 'mnist' } });
    receive({ type: 'datasetReady', ...info });
    expect(useKiln.getState().currentSetup().dataset).toEqual({ kind: 'builtin', id: 'mnist' });
    expect(useKiln.getState().spec).toEqual(PRESETS.simplenn);

    // Chosen again from the cache: still the user's files, and a preset picked now fits the table.
    useKiln.getState().loadCachedDataset('iris');
    expect(sent.at(-1)).toEqual({ type: 'loadDataset', source: { kind: 'cached', name: 'iris' } });
    receive({ type: 'datasetReady', ...iris, fromCache: true, rows: [] });
    expect(useKiln.getState().dataset.fromFiles).toBe(true);
    useKiln.getState().loadPreset('mlp');
    expect(useKiln.getState().spec.inputShape).toEqual([4]);
    expect(useKiln.getState().edited).toBe(false);
  });

  it("switches optimizer with torch.optim's defaults, clearing momentum and Nesterov where it has none", () => {
    const s = useKiln.getState();
    s.setOptimizer('sgd');
    s.setConfig({ momentum: 0.9, nesterov: true });
    s.setOptimizer('adamw');
    expect(useKiln.getState().config).toMatchObject({
      lr: 1e-3,
      weightDecay: 0.01,
      momentum: 0,
      nesterov: false,
    });
    expect(configProblems(useKiln.getState().config)).toEqual([]);
    s.setOptimizer('rmsprop');
    expect(useKiln.getState().config).toMatchObject({ lr: 1e-2, weightDecay: 0 });
    s.setScheduler('step');
    expect(useKiln.getState().config.scheduler).toEqual({ name: 'step', stepSize: 1, gamma: 0.1 });
  });

  it("the GPT preset's tie field makes lm_head take wte's weight, and the count drops by it", () => {
    const jargon = {
      ...info,
      name: 'jargon',
      inputShape: [64],
      numClasses: 20,
      text: { vocab: 'abcdefghijklmnopqrst', valSize: 100, excerpt: 'abc' },
    };
    receive({ type: 'datasetReady', ...jargon });
    const s = useKiln.getState();
    s.loadPreset('gpt');
    expect(useKiln.getState().spec.tied).toBeUndefined();
    const untied = countParameters(useKiln.getState().spec);
    s.setTextSizes({ tie: true });
    const spec = useKiln.getState().spec;
    expect(spec.tied).toEqual({ 'lm_head.weight': 'wte.weight' });
    expect(countParameters(spec)).toBe(untied - 20 * useKiln.getState().textSizes.nEmbd);
  });
});

describe('the LR finder', () => {
  const point = (step: number, lr: number) => ({ step, lr, loss: 2, smoothed: 2 });
  const result = {
    points: [point(1, 1e-7), point(2, 1e-3)],
    steepest: { lr: 4.04e-3, loss: 1.9 },
    minimum: { lr: 0.025950242113997483, loss: 1.7 },
    minimumTenth: { lr: 0.0025950242113997484, loss: 2 },
    suggestedLr: 0.0025950242113997484,
    end: 'diverged' as const,
  };

  it("asks the worker with the builder's model and the form's settings, and folds in its own reports only", () => {
    const s = useKiln.getState();
    s.setConfig({ optimizer: 'adam', lr: 1e-3 });
    s.findLr();
    const asked = sent.at(-1);
    if (asked?.type !== 'lrFind') throw new Error('no lrFind sent');
    expect(asked.model).toEqual(useKiln.getState().spec);
    expect(asked.config).toEqual(useKiln.getState().config);
    // A second click while it runs asks nothing more.
    useKiln.getState().findLr();
    expect(sent.filter((m) => m.type === 'lrFind')).toHaveLength(1);
    const { requestId } = asked;
    receive({ type: 'lrFindPoint', requestId, point: point(1, 1e-7) });
    receive({ type: 'lrFindPoint', requestId: requestId + 100, point: point(9, 1) });
    expect(useKiln.getState().lrFind?.points).toEqual([point(1, 1e-7)]);
    receive({ type: 'lrFindEnd', requestId, result, error: null });
    expect(useKiln.getState().lrFind).toMatchObject({
      status: 'done',
      points: result.points,
      optimizer: 'adam',
    });

    // Use lr: the suggestion as a user would type it, 3 significant figures.
    useKiln.getState().applyFoundLr();
    expect(useKiln.getState().config.lr).toBe(0.0026);
    expect(configProblems(useKiln.getState().config)).toEqual([]);
    useKiln.getState().closeLrFind();
    expect(useKiln.getState().lrFind).toBeNull();
  });

  it('Stop and Close reach the worker; a refusal ends the test with its line', () => {
    useKiln.getState().findLr();
    const asked = sent.at(-1);
    if (asked?.type !== 'lrFind') throw new Error('no lrFind sent');
    useKiln.getState().stopLrFind();
    expect(sent.at(-1)).toEqual({ type: 'stopLrFind', requestId: asked.requestId });
    expect(useKiln.getState().lrFind?.stopping).toBe(true);
    receive({ type: 'lrFindEnd', requestId: asked.requestId, result: null, error: 'load a dataset first' });
    expect(useKiln.getState().lrFind).toMatchObject({ status: 'failed', error: 'load a dataset first' });
    // Use lr has nothing to use.
    const lr = useKiln.getState().config.lr;
    useKiln.getState().applyFoundLr();
    expect(useKiln.getState().config.lr).toBe(lr);

    useKiln.getState().findLr();
    const again = sent.at(-1);
    if (again?.type !== 'lrFind') throw new Error('no lrFind sent');
    useKiln.getState().closeLrFind();
    expect(sent.at(-1)).toEqual({ type: 'stopLrFind', requestId: again.requestId });
  });
});
