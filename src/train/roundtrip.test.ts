/**
 * Whatever Kiln writes, Kiln reads back equal: checkpoints whose history holds NaN, infinities or a
 * million points (resumed too). What cannot be read back is refused when written, naming the limit.
 * The page's side is src/ui/store/roundtrip.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SyntheticDataset } from '../data/dataset';
import type { ModelSpec } from '../nn/spec';
import { CpuBackend } from '../tensor/cpu';
import { setDefaultBackend } from '../tensor/default';
import { parseCheckpoint, type Scalar } from './checkpoint';
import { DEFAULT_CONFIG, type TrainConfig } from './config';
import { tensorData } from './data';
import { Run } from './run';
import { encodeSafetensors, MAX_HEADER_SIZE, SafetensorsError } from './safetensors';
import { longHistory } from './testing';

const SPEC: ModelSpec = {
  name: 'Tiny',
  inputShape: [4],
  layers: [
    { type: 'Linear', name: 'fc1', inFeatures: 4, outFeatures: 5 },
    { type: 'ReLU' },
    { type: 'Linear', name: 'fc2', inFeatures: 5, outFeatures: 3 },
  ],
};
const CONFIG: TrainConfig = { ...DEFAULT_CONFIG, epochs: 1, batchSize: 8 };

const backend = new CpuBackend();
setDefaultBackend(backend);
const data = () =>
  tensorData(
    'synthetic',
    new SyntheticDataset(backend, { numSamples: 16, inputFeatures: 4, numClasses: 3, seed: 1 }),
    new SyntheticDataset(backend, { numSamples: 8, inputFeatures: 4, numClasses: 3, seed: 2 }),
    'synthetic 16',
  );

/** A run's checkpoint carrying `history`, and what a resume of it holds. */
async function roundTrip(history: Scalar[]): Promise<{ parsed: Scalar[]; resumed: Scalar[] }> {
  const run = Run.create(SPEC, CONFIG, data());
  for (const s of history) run.history.push(s);
  const bytes = await run.checkpoint();
  run.dispose();
  const parsed = parseCheckpoint(bytes).meta.history ?? [];
  const again = Run.fromCheckpoint(bytes, data());
  const resumed = again.history.slice();
  again.dispose();
  return { parsed, resumed };
}

const scalar = fc.record({
  tag: fc.oneof(fc.constantFrom('Loss/train', 'grad_norm/fc1.weight', 'dead_relu/relu'), fc.string()),
  // Every double: NaN, both infinities and -0 included.
  value: fc.double(),
  step: fc.nat(),
  wallTime: fc.double({ min: 0, max: 4e12, noNaN: true }),
});

describe('checkpoints read back what they wrote', () => {
  it('any history, NaN and infinities included (an exploded loss, a dead network)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(scalar, { maxLength: 20 }), async (history) => {
        const { parsed, resumed } = await roundTrip(history);
        expect(parsed).toEqual(history);
        expect(resumed).toEqual(history);
        // toEqual counts -0 as 0: the values themselves, as Object.is sees them.
        expect(parsed.every((p, i) => Object.is(p.value, history[i].value))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('a million points, with no stack overflow on resume', async () => {
    const history = longHistory(1_000_000);
    const { parsed, resumed } = await roundTrip(history);
    expect(parsed.length).toBe(history.length);
    expect(resumed.length).toBe(history.length);
    expect(resumed.slice(0, 12)).toEqual(history.slice(0, 12));
    expect(resumed.at(-1)).toEqual(history.at(-1));
  });

  it('refuses to write a header no reader would take, naming the limit', () => {
    const big = () => encodeSafetensors({}, { big: 'x'.repeat(MAX_HEADER_SIZE) });
    expect(big).toThrow(SafetensorsError);
    expect(big).toThrow(
      /header \(tensor names and metadata\) is 1000000\d\d bytes, over safetensors' 100000000-byte limit/,
    );
  });
});
