/** The generator's stream is pinned: checkpoints resume with it, so it must never drift. */
import { expect, test } from 'vitest';
import { Generator } from './random';

test('seed 42 draws the pinned PCG32 stream, and randperm follows from it', () => {
  const g = new Generator(42);
  expect([g.nextU32(), g.nextU32(), g.nextU32(), g.nextU32()]).toEqual([
    3270867926, 1795671209, 1924641435, 1143034755,
  ]);
  expect(Array.from(new Generator(7).randperm(10))).toEqual([5, 4, 7, 1, 9, 0, 6, 3, 8, 2]);
});

test('a restored state continues the same stream', () => {
  const g = new Generator(3);
  for (let i = 0; i < 1000; i++) g.nextU32();
  g.normal();
  const copy = new Generator();
  copy.setState(JSON.parse(JSON.stringify(g.getState())));
  expect([copy.normal(), copy.nextU32(), copy.normal()]).toEqual([g.normal(), g.nextU32(), g.normal()]);
});
