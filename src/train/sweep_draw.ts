/**
 * A sweep's runs with their random draws made: sweep.ts stays pure (the page's form reads it for
 * its run count), and this takes the numbers from the engine's own seeded generator, the one a
 * run's shuffling and initialisation use, so the page (which loads it on demand) and the CLI draw
 * the same runs for the same seed.
 */
import { Generator } from '../tensor/random';
import { type SweepPoint, type SweepSpec, sweepPoints } from './sweep';

/** Every run of `spec`: its grid, or its random draws seeded by `spec.random.seed` (see sweepPoints). */
export function drawSweep(spec: SweepSpec): SweepPoint[] {
  const g = new Generator(spec.random?.seed ?? 0);
  return sweepPoints(spec, () => g.random());
}
