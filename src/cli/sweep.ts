/**
 * `npm run sweep -- --lr 1e-4,1e-3,1e-2 --seed 1,2,3 [any train flag] --logdir DIR`: trains one
 * run per combination of the settings given several values (train/sweep.ts: a list, or a range
 * such as 1e-4..1e-1x5), one after another, each exactly as `npm run train` with those flags would
 * (the same parsing, config and validation: train.ts's trainCli runs each), writing its TensorBoard
 * log into a folder of DIR named by its settings (DIR/lr=0.001,seed=1), with TensorBoard's HParams
 * data: the experiment at DIR's root, each run's hyperparameters and status in its own folder.
 * Every combination is checked before the first run starts. At the end, a table of the runs and
 * their final metrics (with --json, one JSON object per run instead). Ctrl-C stops the run in
 * hand after its step and ends the sweep there (exit 130).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Backend } from 'kiln';
import {
  ConfigError,
  checkSweep,
  parseSweepValues,
  type SweepAxis,
  type SweepPoint,
  sweepFieldOf,
  sweepName,
  valueText,
} from 'kiln/config';
import {
  eventFileName,
  type HParamValue,
  hparamInfos,
  SummaryWriter,
  writeExperiment,
} from 'kiln/tensorboard';
import { drawSweep, errorKind } from 'kiln/train';
import { flagged } from './config_flags';
import { type CliOption, helpText, parseOptions, UsageError } from './options';
import { type CliIo, failure, isEntry, pickBackend, runProgram } from './shell';
import { newRunConfig, SECTIONS, trainCli, type Values } from './train';

/** The sweep's own flags; every other flag is train's, given to each run. */
const SWEEP_OPTIONS = [
  {
    flag: 'logdir',
    kind: { type: 'path', of: 'dir' },
    help: `where the runs' TensorBoard logs go: one folder per run, named by its settings
(DIR/lr=0.001,seed=1), with the HParams data; view with tensorboard --logdir DIR`,
  },
  {
    flag: 'random',
    kind: { type: 'count', min: 1 },
    help: `N random draws of the settings instead of the whole grid (a log range drawn
log-uniformly, a list uniformly), each with every --seed`,
  },
  {
    flag: 'sweep-seed',
    kind: { type: 'count', min: 0 },
    help: 'seeds the random draws: the same seed draws the same runs',
    default: '0',
  },
  { flag: 'json', kind: { type: 'boolean' }, help: 'one JSON object per run on stdout, as each ends' },
  { flag: 'help', kind: { type: 'boolean' }, help: 'this text' },
] as const satisfies readonly CliOption[];

/** Train's flags a sweep refuses, and why: they are about one run. */
const REFUSED: Record<string, string> = {
  save: "each run would overwrite the last one's file",
  checkpoint: "each run would overwrite the last one's file",
  'checkpoint-every': 'a sweep writes no checkpoints',
  'export-pytorch': "each run would overwrite the last one's train.py",
  resume: 'it continues one run, a sweep starts new ones',
  'eval-only': "it evaluates one run's weights and trains none",
  profile: 'it profiles one run',
};

const HELP = helpText(
  'Usage: npm run sweep -- --SETTING V1,V2,... [--SETTING LOW..HIGHxN] [train flags] --logdir DIR',
  [{ title: 'Sweep', options: SWEEP_OPTIONS }],
  `Any setting of npm run train (see npm run train -- --help) takes several values:
  a list            --lr 1e-4,1e-3,1e-2   --optimizer adam,sgd   --seed 1,2,3
  a log range       --lr 1e-4..1e-1x5     (5 values evenly spaced in log10)
  whole numbers     --seed 1..5           --batch-size 16..128x3 (linear)
The runs are every combination (the seeds innermost), or --random N draws. Every other train
flag applies to every run. Every combination is checked before the first run starts.
Ctrl-C stops the run in hand after its step and ends the sweep (exit code 130).`,
);

/** The sweep's own values, its axes, and the train flags every run shares. */
interface SweepArgs {
  own: { logdir?: string; random?: number; 'sweep-seed': number; json?: boolean; help?: boolean };
  axes: SweepAxis[];
  shared: string[];
}

/** Train's options, by flag. */
const TRAIN_OPTIONS = new Map(SECTIONS.flatMap((s) => s.options.map((o) => [o.flag, o] as const)));

/**
 * Splits the command line: the sweep's own flags, the settings given several values (the axes),
 * and every other train flag (with its value as `--flag=value`, for train's parser to check).
 */
function splitArgs(argv: readonly string[]): SweepArgs {
  const ownWords: string[] = [];
  const axes: SweepAxis[] = [];
  const shared: string[] = [];
  const own = new Set<string>(SWEEP_OPTIONS.map((o) => o.flag));
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(word);
    if (!m) throw new UsageError(`unexpected argument '${word}' (see --help)`);
    const [, flag, inline] = m;
    const option = own.has(flag)
      ? SWEEP_OPTIONS.find((o) => o.flag === flag)
      : (TRAIN_OPTIONS.get(flag) as CliOption | undefined);
    if (Object.hasOwn(REFUSED, flag))
      throw new UsageError(
        `--${flag} is not for a sweep: ${REFUSED[flag]} (train one run with npm run train to use --${flag})`,
      );
    const takesValue = option !== undefined && option.kind.type !== 'boolean';
    let value = inline;
    if (takesValue && value === undefined) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--'))
        throw new UsageError(`--${flag} needs a value (see --help)`);
      value = argv[++i];
    }
    if (own.has(flag)) {
      ownWords.push(value === undefined ? word : `--${flag}=${value}`);
      continue;
    }
    const field = sweepFieldOf(flag);
    if (field && value !== undefined && /,|\.\./.test(value)) {
      if (axes.some((a) => a.field === field)) throw new UsageError(`--${flag} is given twice`);
      try {
        axes.push({ field, values: parseSweepValues(field, value) });
      } catch (e) {
        throw e instanceof ConfigError ? new UsageError(`--${e.message}`) : e;
      }
      continue;
    }
    shared.push(value === undefined ? word : `--${flag}=${value}`);
  }
  const parsed = parseOptions([{ title: 'Sweep', options: SWEEP_OPTIONS }], ownWords) as SweepArgs['own'];
  return { own: parsed, axes, shared };
}

/** One run's flags on top of the shared ones: its swept values. */
function pointArgs(point: SweepPoint): string[] {
  return point.map(([f, v]) => `--${sweepName(f)}=${valueText(v)}`);
}

/** The swept values of a run, as TensorBoard's hyperparameters (named by their flags). */
function hparamsOf(point: SweepPoint): Record<string, HParamValue> {
  return Object.fromEntries(point.map(([f, v]) => [sweepName(f), v]));
}

/** What one run of the sweep came to. */
interface RunResult {
  name: string;
  point: SweepPoint;
  status: 'success' | 'failure' | 'stopped';
  /** Each metric's last value. */
  metrics: Record<string, number>;
  error?: string;
}

/** The scalar tags a sweep reports and declares as the HParams tab's metrics. */
function metricTags(text: boolean): string[] {
  return text
    ? ['Loss/train', 'Loss/val', 'BPC/val', 'Perplexity/val']
    : ['Loss/train', 'Loss/val', 'Accuracy/val'];
}

/** A log folder that already holds a TensorBoard log: a second sweep there would be mixed into the first. */
async function holdsEvents(dir: string): Promise<boolean> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files.some((f) => f.startsWith('events.out.tfevents.'));
}

/** The table printed at the end: one row per run, its swept values, status and final metrics. */
function resultTable(results: RunResult[], axes: string[], metrics: string[]): string {
  const head = ['run', ...axes, 'status', ...metrics];
  const rows = results.map((r) => [
    String(results.indexOf(r) + 1),
    ...r.point.map(([, v]) => valueText(v)),
    r.status,
    ...metrics.map((m) => (r.metrics[m] === undefined ? '-' : r.metrics[m].toPrecision(4))),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** What a sweep came to: each run's result, whether it was stopped, and the backend its runs shared. */
export interface SweepOutcome {
  results: RunResult[];
  stopped: boolean;
  /** Null when it stopped before any work (--help). */
  backend: Backend | null;
}

/** Runs `npm run sweep` with `argv`. */
export async function sweepCli(argv: string[], io: CliIo): Promise<SweepOutcome> {
  const { own, axes, shared } = splitArgs(argv);
  if (own.help) {
    io.stdout(HELP);
    return { results: [], stopped: false, backend: null };
  }
  const log = (s: string) => io.stderr(s);
  if (!own.logdir)
    throw new UsageError('--logdir DIR is needed: each run writes its TensorBoard log into a folder of it');
  if (!axes.length)
    throw new UsageError(
      'nothing to sweep: give a setting several values, as --lr 1e-4,1e-3,1e-2 or --lr 1e-4..1e-1x4 (see --help)',
    );
  const random = own.random === undefined ? null : { count: own.random, seed: own['sweep-seed'] };
  let points: SweepPoint[];
  try {
    points = drawSweep({ axes, random });
  } catch (e) {
    throw e instanceof ConfigError ? new UsageError(e.message) : e;
  }
  const argsOf = (point: SweepPoint) => [...shared, ...pointArgs(point)];
  // Every run's config as train makes it, checked before any run starts.
  let first: Values | undefined;
  let runs: ReturnType<typeof checkSweep>;
  try {
    runs = checkSweep(points, (point) => {
      const v = parseOptions(SECTIONS, argsOf(point)) as Values;
      first ??= v;
      return newRunConfig(v);
    });
  } catch (e) {
    throw e instanceof ConfigError ? flagged(e) : e;
  }
  const v = first as Values;
  const root = own.logdir;
  for (const dir of [root, ...runs.map((r) => join(root, r.name))])
    if (await holdsEvents(dir))
      throw new UsageError(
        `--logdir ${root}: ${dir} already holds a TensorBoard log, which this sweep's would be mixed into; give another --logdir`,
      );
  await mkdir(root, { recursive: true }).catch((e) => {
    throw new UsageError(`--logdir: cannot write ${root} (${(e as NodeJS.ErrnoException).code ?? e})`);
  });
  const metrics = metricTags(v.dataset === 'text');
  // The experiment summary, once the first run got as far as its log: a mistake the first run
  // finds (a model that does not fit the data) leaves the logdir as it was, for the corrected sweep.
  const experiment = new SummaryWriter();
  writeExperiment(experiment, hparamInfos(points.map(hparamsOf)), metrics, Date.now() / 1000);
  const writeExperimentFile = () => writeFile(join(root, eventFileName(hostname())), experiment.flush());

  const backend = await pickBackend(v.backend, log, v.threads);
  const axisNames = axes.map((a) => sweepName(a.field));
  if (!own.json)
    log(
      `Sweep of ${runs.length} runs (${random ? `${random.count} random draws` : 'grid'} of ${axisNames.join(', ')}) into ${root}`,
    );
  const results: RunResult[] = [];
  let stopped = false;
  for (const [i, r] of runs.entries()) {
    if (!own.json) log(`\n[${i + 1}/${runs.length}] ${r.name}`);
    const runIo: CliIo = {
      ...io,
      stdout: own.json ? () => {} : io.stdout,
      stderr: own.json ? () => {} : io.stderr,
    };
    const result: RunResult = { name: r.name, point: r.point, status: 'success', metrics: {} };
    try {
      const out = await trainCli([...argsOf(r.point), `--logdir=${join(root, r.name)}`], runIo, {
        backend,
        hparams: hparamsOf(r.point),
      });
      for (const s of out.run?.history ?? []) if (metrics.includes(s.tag)) result.metrics[s.tag] = s.value;
      // The backend trains the next run: this one's data, weights and optimizer state go now.
      out.run?.dispose();
      if (out.stopped) {
        result.status = 'stopped';
        stopped = true;
      }
    } catch (e) {
      // Settings are the same mistake for every run: the sweep ends. A run that fails (diverges,
      // runs out of memory) is recorded, and the next one starts.
      if (e instanceof UsageError || errorKind(e) === 'config') throw e;
      result.status = 'failure';
      result.error = e instanceof Error ? e.message : String(e);
      log(`run ${r.name} failed: ${result.error}`);
    }
    results.push(result);
    if (i === 0) await writeExperimentFile();
    if (own.json)
      io.stdout(
        JSON.stringify({
          run: r.name,
          index: i,
          ...hparamsOf(r.point),
          status: result.status,
          ...result.metrics,
          ...(result.error ? { error: result.error } : {}),
        }),
      );
    if (stopped) break;
  }
  if (!own.json) {
    io.stdout(resultTable(results, axisNames, metrics));
    if (stopped) log(`Stopped after ${results.length} of ${runs.length} runs`);
    log(`View it: tensorboard --logdir ${root} (the HParams tab compares the runs)`);
  }
  return { results, stopped, backend };
}

/** The sweep as a process runs it: 0 every run done, 1 a run failed, 2 a usage error, 130 stopped. */
export async function sweepMain(argv: string[], io: CliIo): Promise<number> {
  try {
    const { results, stopped } = await sweepCli(argv, io);
    if (stopped) return 130;
    return results.some((r) => r.status === 'failure') ? 1 : 0;
  } catch (e) {
    return failure(e, io);
  }
}

if (isEntry(import.meta.url, 'src/cli/sweep.ts')) void runProgram(sweepMain);
