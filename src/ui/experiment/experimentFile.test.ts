import { gunzip, gzip } from 'kiln/datasets';
import { describe, expect, it } from 'vitest';
import v3 from '../runs/fixtures/record-v3.json';
import { readStoredRun } from '../runs/storedRun';
import { DEFAULT_HPARAMS_VIEW } from '../store/hparamsSlice';
import type { RunRecord } from '../store/runsSlice';
import {
  type Experiment,
  ExperimentError,
  finalHistograms,
  readExperiment,
  writeExperiment,
} from './experimentFile';

/** A stored run as the page holds it, with notes, tags and a misclassified image. */
function run(id: string, lr: number): RunRecord {
  const r = readStoredRun({ ...structuredClone(v3), id, name: `SimpleNN lr=${lr}` });
  return {
    ...r,
    config: { ...r.config, lr },
    notes: 'first try: lr too high?',
    tags: ['sweep', 'baseline'],
    lastEpoch: r.lastEpoch && {
      ...r.lastEpoch,
      misclassified: [
        { pixels: Uint8Array.from({ length: 784 }, (_, i) => i % 256), label: 3, predicted: 5 },
      ],
    },
  };
}

const histogram = (step: number) => ({
  lo: -1,
  hi: 1,
  counts: Uint32Array.of(1, 5, 2),
  nan: 0,
  posInf: 0,
  negInf: 0,
  min: -0.9,
  max: 0.95,
  sum: 0.4,
  sumSquares: 2.5,
  step,
  wallTime: 1_700_000_000_000 + step,
});

const experiment = (): Experiment => ({
  name: 'lr sweep',
  exportedAt: 1_700_000_500_000,
  view: {
    smoothing: 0.3,
    xAxis: 'epoch',
    logScale: true,
    ignoreOutliers: false,
    runFilter: 'sweep',
    hparams: {
      ...DEFAULT_HPARAMS_VIEW,
      metric: 'valLoss',
      brushes: [
        { key: 'lr', lo: 1e-4, hi: 1e-2 },
        { key: 'optimizer', values: ['adam'] },
      ],
      groupBy: 'lr',
      columns: ['seed'],
      groupCharts: true,
    },
  },
  runs: [run('a', 1e-3), run('b', 1e-2)],
  histograms: { a: finalHistograms({ 'fc1.weight': [histogram(10), histogram(20)] }) },
  checkpoints: { b: Uint8Array.of(1, 2, 3, 250) },
});

/** Why reading `bytes` is refused, in one line. */
async function refusal(bytes: Uint8Array): Promise<string> {
  try {
    await readExperiment(bytes, 'x.kiln-experiment.json.gz');
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('the file was read');
}

const gz = (doc: unknown) =>
  gzip(new TextEncoder().encode(typeof doc === 'string' ? doc : JSON.stringify(doc)));

describe('experiment files', () => {
  it('reads back what it writes: records, notes and tags, scalars, final histograms, view, weights', async () => {
    const e = experiment();
    const bytes = await writeExperiment(e);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const back = await readExperiment(bytes, 'lr-sweep.kiln-experiment.json.gz');
    expect(back).toEqual(e);
    expect(back.runs[0].tags).toEqual(['sweep', 'baseline']);
    expect(back.runs[0].lastEpoch?.misclassified[0].pixels).toBeInstanceOf(Uint8Array);
    expect(back.histograms.a['fc1.weight']).toHaveLength(1);
    expect(back.histograms.a['fc1.weight'][0].step).toBe(20);
    expect(back.histograms.a['fc1.weight'][0].counts).toBeInstanceOf(Uint32Array);
    expect(back.checkpoints).toEqual({ b: Uint8Array.of(1, 2, 3, 250) });
    // Written again, the same bytes: nothing is lost or added on the way.
    expect(await writeExperiment(back)).toEqual(bytes);
  });

  it('refuses a truncated, damaged or foreign file with one clear line', async () => {
    const bytes = await writeExperiment(experiment());
    expect(await refusal(bytes.subarray(0, bytes.length >> 1))).toMatch(/truncated/);
    expect(await refusal(new TextEncoder().encode('{"format": "kiln-experiment"}'))).toBe(
      'x.kiln-experiment.json.gz is not a Kiln experiment (not gzip-compressed)',
    );
    expect(await refusal(await gz('{"format": '))).toMatch(
      /^x.kiln-experiment.json.gz is damaged: its JSON does not parse/,
    );
    expect(await refusal(await gz({ format: 'kiln-setup' }))).toBe(
      'x.kiln-experiment.json.gz is not a readable experiment: format: "kiln-setup" is not a Kiln experiment',
    );
    const doc = JSON.parse(new TextDecoder().decode(await gunzip(bytes, 'x')));
    expect(await refusal(await gz({ ...doc, version: 2 }))).toBe(
      'x.kiln-experiment.json.gz is not a readable experiment: version: is 2; this Kiln reads version 1 (a newer Kiln wrote it?)',
    );
    const broken = structuredClone(doc);
    broken.runs[1].record.config.lr = 'fast';
    expect(await refusal(await gz(broken))).toMatch(
      /^x.kiln-experiment.json.gz is not a readable experiment: runs\[1\]\.record\.config: the learning rate must be/,
    );
    const twin = { ...doc, runs: [doc.runs[0], doc.runs[0]] };
    expect(await refusal(await gz(twin))).toMatch(/runs: holds two runs with the same id/);
    const badBytes = structuredClone(doc);
    badBytes.runs[1].checkpoint = { $bytes: '%%%' };
    expect(await refusal(await gz(badBytes))).toMatch(/its bytes are damaged/);
    const extra = { ...doc, runs: [{ ...doc.runs[0], weights: 1 }] };
    expect(await refusal(await gz(extra))).toMatch(/runs\[0\]\.weights: unknown field/);
  });
});
