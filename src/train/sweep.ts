/**
 * A sweep: some settings of the settings table (config.ts), each with several values, trained one
 * run per combination, as W&B's sweeps and TensorBoard's HParams lay them out. Values are a list
 * (`1e-4,1e-3,1e-2`, `adam,sgd`) or a range: a log range for numbers (`1e-4..1e-1x5`, five values
 * evenly spaced in log10), a linear one for whole numbers (`1..4`, or `16..128x3`). The combinations
 * are the grid of every value, or N random draws (seeded, so the same sweep draws the same runs),
 * each crossed with every seed, so a difference can be told from seed noise. Every combination is
 * checked by the config validator before any run starts. Pure data and checks, as config.ts: the
 * page reads this file too; the random draws take their numbers from the caller's generator.
 */
import {
  ConfigError,
  type ConfigProblem,
  configProblems,
  type DataFacts,
  SETTINGS,
  type TrainConfig,
} from './config';

/** The settings a sweep can vary: those holding one number or one choice (SWEEP_FIELDS has them). */
export type SweepField = {
  [K in keyof TrainConfig]: TrainConfig[K] extends number | string | null ? K : never;
}[keyof TrainConfig];

/** Every setting a sweep can vary, in the table's order (the scheduler is a choice of a whole object: not one). */
export const SWEEP_FIELDS = (Object.keys(SETTINGS) as (keyof TrainConfig)[]).filter((k) => {
  const s = SETTINGS[k];
  return !s.scheduler && ['integer', 'number', 'choice'].includes(s.kind.type) && s.flag !== undefined;
}) as SweepField[];

/** One value of a swept setting. */
export type SweepValue = number | string;

/** The values of one swept setting: a list, or a range (log-spaced for numbers, linear for whole numbers). */
export type SweepValues =
  | { kind: 'list'; values: readonly SweepValue[] }
  | { kind: 'range'; low: number; high: number; count: number; scale: 'log' | 'linear' };

/** One swept setting and its values. */
export interface SweepAxis {
  field: SweepField;
  values: SweepValues;
}

/** A sweep: its axes, and N random draws of them (seeded) or, when `random` is null, the whole grid. */
export interface SweepSpec {
  axes: SweepAxis[];
  random: { count: number; seed: number } | null;
}

/** One run of a sweep: each swept setting's value, in the axes' order (the seed last). */
export type SweepPoint = [field: SweepField, value: SweepValue][];

/** The most runs one sweep makes: more is a typo (a range of whole numbers too wide), not a plan. */
export const MAX_SWEEP_RUNS = 1000;

/** A number as a user writes one (config_flags' grammar): decimal or exponent notation. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The name a setting goes by in run names and hparams: its CLI flag (`lr`, `batch-size`). */
export function sweepName(field: SweepField): string {
  return SETTINGS[field].flag ?? field;
}

/** The swept setting a name (a flag) stands for, or undefined. */
export function sweepFieldOf(name: string): SweepField | undefined {
  return SWEEP_FIELDS.find((f) => sweepName(f) === name);
}

const refuse = (field: string, message: string) => new ConfigError([{ field, message }]);

/** A number rounded to three significant digits: a log range's 0.000562, not 0.0005623413251903491. */
const round3 = (x: number) => Number(x.toPrecision(3));

/**
 * The values `text` gives a swept setting: a comma-separated list, or `LOW..HIGH` with `xN` (N
 * values; a number's spaced in log10, a whole number's linearly) or, for whole numbers, without
 * (every one from LOW to HIGH). Refused with the setting named: a word that is not a number or
 * not one of the choices, a value listed twice, an empty or backward range. Whether each value is
 * one the setting takes is the validator's (checkSweep), as for a single run.
 */
export function parseSweepValues(field: SweepField, text: string): SweepValues {
  const s = SETTINGS[field];
  const name = sweepName(field);
  const t = text.trim();
  const range = /^(.+?)\.\.(.+?)(?:x(\d+))?$/.exec(t);
  if (range && s.kind.type !== 'choice') {
    const [low, high] = [range[1], range[2]].map((x) => {
      if (!NUMBER.test(x)) throw refuse(field, `${name}: "${x}" in the range ${t} is not a number`);
      return Number(x);
    });
    const integer = s.kind.type === 'integer';
    if (!(high > low))
      throw refuse(field, `${name}: the range ${t} must go from a lower value to a higher one`);
    if (range[3] === undefined) {
      if (!integer)
        throw refuse(field, `${name}: a range of numbers needs its count of values, as ${t}x5 (log-spaced)`);
      return { kind: 'range', low, high, count: high - low + 1, scale: 'linear' };
    }
    const count = Number(range[3]);
    if (count < 2) throw refuse(field, `${name}: the range ${t} needs x2 or more values`);
    if (!integer && low <= 0)
      throw refuse(field, `${name}: a log range must start above 0, got ${t} (list the values instead)`);
    return { kind: 'range', low, high, count, scale: integer ? 'linear' : 'log' };
  }
  const words = t.split(',').map((w) => w.trim());
  const values = words.map((w): SweepValue => {
    if (s.kind.type === 'choice') {
      if (!s.kind.choices.includes(w))
        throw refuse(field, `${name} must be one of ${s.kind.choices.join(', ')}, got "${w}"`);
      return w;
    }
    if (!NUMBER.test(w)) throw refuse(field, `${name} expects numbers separated by commas, got "${w}"`);
    return Number(w);
  });
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) throw refuse(field, `${name} lists ${twice} twice`);
  return { kind: 'list', values };
}

/** The values a setting takes in a grid: the list's, or the range's points. */
export function gridValues(v: SweepValues): readonly SweepValue[] {
  if (v.kind === 'list') return v.values;
  const { low, high, count, scale } = v;
  if (scale === 'log') {
    const [a, b] = [Math.log10(low), Math.log10(high)];
    return Array.from({ length: count }, (_, i) => round3(10 ** (a + ((b - a) * i) / (count - 1))));
  }
  const points = Array.from({ length: count }, (_, i) => Math.round(low + ((high - low) * i) / (count - 1)));
  return [...new Set(points)];
}

/** The number of values of one axis in a grid. */
function axisSize(v: SweepValues): number {
  return v.kind === 'list' ? v.values.length : v.scale === 'log' ? v.count : gridValues(v).length;
}

/** The axes with the seed's last: each combination's seeds run one after another. */
function ordered(axes: SweepAxis[]): SweepAxis[] {
  return [...axes.filter((a) => a.field !== 'seed'), ...axes.filter((a) => a.field === 'seed')];
}

/** How many runs `spec` makes: the grid's size, or the draws times the seeds. */
export function sweepSize(spec: SweepSpec): number {
  const seeds = spec.axes.find((a) => a.field === 'seed');
  if (spec.random) return spec.random.count * (seeds ? axisSize(seeds.values) : 1);
  return spec.axes.reduce((n, a) => n * axisSize(a.values), 1);
}

/** A value drawn at random: from a list uniformly, from a log range log-uniformly, from whole numbers uniformly. */
function draw(v: SweepValues, random: () => number): SweepValue {
  const r = random();
  if (v.kind === 'list') return v.values[Math.floor(r * v.values.length)];
  if (v.scale === 'log') {
    const [a, b] = [Math.log(v.low), Math.log(v.high)];
    return round3(Math.exp(a + (b - a) * r));
  }
  return v.low + Math.floor(r * (v.high - v.low + 1));
}

/**
 * Every run of `spec`, in order: the grid (the first axis slowest, the seed fastest), or
 * `random.count` draws of the other axes, each crossed with every seed. `random` draws uniformly
 * in [0, 1) (a Generator seeded with `spec.random.seed`); a grid needs none. Refused: a setting
 * swept twice or one that cannot be swept, no axis, or more than MAX_SWEEP_RUNS runs.
 */
export function sweepPoints(spec: SweepSpec, random?: () => number): SweepPoint[] {
  const fields = spec.axes.map((a) => a.field);
  const twice = fields.find((f, i) => fields.indexOf(f) !== i);
  if (twice) throw refuse(twice, `${sweepName(twice)} is swept twice`);
  const unsweepable = fields.find((f) => !SWEEP_FIELDS.includes(f));
  if (unsweepable) throw refuse(unsweepable, `${unsweepable} cannot be swept`);
  if (!spec.axes.length) throw refuse('', 'a sweep needs at least one setting with values');
  const n = sweepSize(spec);
  if (n > MAX_SWEEP_RUNS)
    throw refuse(fields[0], `the sweep makes ${n} runs, over the ${MAX_SWEEP_RUNS} one sweep may make`);
  const axes = ordered(spec.axes);
  const cross = (heads: SweepPoint[], axis: SweepAxis): SweepPoint[] =>
    heads.flatMap((p) => gridValues(axis.values).map((v): SweepPoint => [...p, [axis.field, v]]));
  if (!spec.random) return axes.reduce(cross, [[]]);
  if (!random) throw new Error('a random sweep needs a random number generator');
  const seeds = axes.filter((a) => a.field === 'seed');
  const others = axes.filter((a) => a.field !== 'seed');
  const draws = Array.from(
    { length: spec.random.count },
    (): SweepPoint => others.map((a) => [a.field, draw(a.values, random)]),
  );
  return seeds.reduce(cross, draws);
}

/** A value as run names and tables write it: 0.001, 1e-7, adam. */
export function valueText(v: SweepValue): string {
  return String(v);
}

/**
 * A run's name from its settings, `lr=0.001,seed=2`: also its folder in a logdir, so it holds only
 * letters, digits and `=,.+-_` (never a path separator, nothing a shell or Windows reads apart).
 */
export function runName(point: SweepPoint): string {
  const name = point.map(([f, v]) => `${sweepName(f)}=${valueText(v)}`).join(',');
  if (!/^[A-Za-z0-9=,.+_-]+$/.test(name)) throw new Error(`a run name with odd characters: ${name}`);
  return name;
}

/** `config` with a run's swept values in place. */
export function applyPoint(config: TrainConfig, point: SweepPoint): TrainConfig {
  const c: Record<string, unknown> = { ...config };
  for (const [f, v] of point) c[f] = v;
  return c as unknown as TrainConfig;
}

/** One run of a checked sweep: its name, its swept values and its whole config. */
export interface SweepRun {
  name: string;
  point: SweepPoint;
  config: TrainConfig;
}

/**
 * Every run's config (`configOf` makes it as a single run's would be made), checked by the config
 * validator before any run starts: the first run that cannot train is refused whole, one
 * ConfigError naming the run (its settings and values) and what is wrong with it.
 */
export function checkSweep(
  points: SweepPoint[],
  configOf: (point: SweepPoint) => TrainConfig,
  data?: DataFacts,
): SweepRun[] {
  return points.map((point) => {
    const name = runName(point);
    let config: TrainConfig;
    let problems: ConfigProblem[];
    try {
      config = configOf(point);
      problems = configProblems(config, data);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
      config = undefined as never;
    }
    if (problems.length)
      throw new ConfigError(problems.map((p) => ({ field: p.field, message: `run ${name}: ${p.message}` })));
    return { name, point, config };
  });
}
