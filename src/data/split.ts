import { Generator } from '../tensor/random';

/**
 * Seeded random splits of a dataset's indices, like torch.utils.data.random_split: one permutation
 * of 0..n-1 from the seeded generator, cut into consecutive pieces. The same seed gives the same
 * split on every machine, so a validation set stays held out across runs and resumes.
 */

/**
 * Splits the indices 0..n-1 into pieces of the given lengths, either counts summing to n or
 * fractions summing to 1 (floored, with the remainder handed out one by one from the first piece,
 * as PyTorch does). The generator is a seed or a Generator, which the split advances.
 */
export function randomSplit(n: number, lengths: number[], generator: Generator | number = 0): Int32Array[] {
  if (!(Number.isInteger(n) && n >= 0))
    throw new RangeError(`randomSplit: n must be a non-negative integer, got ${n}`);
  const counts = splitCounts(n, lengths);
  const perm = (typeof generator === 'number' ? new Generator(generator) : generator).randperm(n);
  let start = 0;
  return counts.map((c) => perm.slice(start, (start += c)));
}

/** The indices of a training set and the validation set held out from it. */
export interface TrainValidationIndices {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Holds out a validation set from n samples: `validation` is a count (5000 of MNIST's 60,000) or a
 * fraction below 1 (0.1). The rest is the training set. Deterministic for a seed.
 */
export function trainValidationSplit(n: number, validation: number, seed = 0): TrainValidationIndices {
  const held = validation > 0 && validation < 1 ? Math.round(n * validation) : validation;
  if (!(Number.isInteger(held) && held >= 0 && held <= n)) {
    throw new RangeError(
      `trainValidationSplit: validation must be a count 0..${n} or a fraction below 1, got ${validation}`,
    );
  }
  const [train, val] = randomSplit(n, [n - held, held], seed);
  return { train, validation: val };
}

function splitCounts(n: number, lengths: number[]): number[] {
  const sum = lengths.reduce((a, b) => a + b, 0);
  if (lengths.some((l) => !(l >= 0)))
    throw new RangeError(`randomSplit: lengths must be non-negative, got ${lengths}`);
  if (lengths.every(Number.isInteger) && sum === n) return lengths;
  if (Math.abs(sum - 1) < 1e-9 && lengths.every((l) => l <= 1)) {
    const counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]++;
    return counts;
  }
  throw new RangeError(
    `randomSplit: lengths ${lengths} must be counts summing to ${n} or fractions summing to 1`,
  );
}
