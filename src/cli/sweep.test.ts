/** `npm run sweep`: the logdir it writes (one folder per run, with TensorBoard's HParams data) and its refusals. */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HPARAMS_TAGS } from '../train/hparams';
import { readEvent, readHParams, readRecords } from '../train/testing';
import { sweepCli, sweepMain } from './sweep';

const dir = mkdtempSync(join(tmpdir(), 'kiln-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A few hundred MNIST samples, one epoch, on the cpu backend: a run of well under a second. */
const TINY = [
  '--backend',
  'cpu',
  '--limit',
  '300',
  '--val-split',
  '100',
  '--epochs',
  '1',
  '--batch-size',
  '50',
];

async function sweep(...argv: string[]) {
  return sweepStopped(() => false, ...argv);
}

/** The sweep with Ctrl-C pressed once `stopRequested` says so. */
async function sweepStopped(stopRequested: () => boolean, ...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await sweepMain(argv, {
    stdout: (s) => stdout.push(s),
    stderr: (s) => stderr.push(...s.split('\n')),
    tty: false,
    stopRequested,
  });
  return { code, stdout, stderr };
}

/** The one event file in `folder`. */
function eventFile(folder: string): Uint8Array {
  const files = readdirSync(folder).filter((f) => f.startsWith('events.out.tfevents.'));
  expect(files).toHaveLength(1);
  return readFileSync(join(folder, files[0]));
}

describe('npm run sweep', () => {
  it('writes one folder per run, named by its settings, with the HParams data TensorBoard reads', async () => {
    const logdir = join(dir, 'grid');
    const r = await sweep(...TINY, '--lr', '1e-3,1e-2', '--seed', '1,2', '--logdir', logdir);
    expect(r.stderr.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(r.code).toBe(0);
    const names = ['lr=0.001,seed=1', 'lr=0.001,seed=2', 'lr=0.01,seed=1', 'lr=0.01,seed=2'];
    expect(
      readdirSync(logdir)
        .filter((f) => !f.startsWith('events.'))
        .sort(),
    ).toEqual(names);
    // The experiment at the root: the swept settings, each with its values, and the metrics.
    const root = readHParams(eventFile(logdir));
    expect(root.map((v) => v.tag)).toEqual([HPARAMS_TAGS.experiment]);
    expect(root[0].data).toMatchObject({
      experiment: {
        hparamInfos: [
          { name: 'lr', type: 3, discrete: [0.001, 0.01] },
          { name: 'seed', type: 3, discrete: [1, 2] },
        ],
        metricInfos: [
          { group: '', tag: 'Loss/train', datasetType: 1 },
          { group: '', tag: 'Loss/val', datasetType: 2 },
          { group: '', tag: 'Accuracy/val', datasetType: 2 },
        ],
      },
    });
    for (const name of names) {
      const bytes = eventFile(join(logdir, name));
      const hp = readHParams(bytes);
      const [lr, seed] = name.match(/[\d.]+/g)!.map(Number);
      expect(hp.map((v) => v.data)).toEqual([
        { sessionStart: { lr, seed }, startTime: expect.any(Number) },
        { sessionEnd: 1, endTime: expect.any(Number) },
      ]);
      // Beside them, the run's own scalars: the metrics the experiment names are there.
      const tags = new Set(
        readRecords(bytes)
          .flatMap((rec) => readEvent(rec).scalars)
          .map((s) => s.tag),
      );
      for (const tag of ['Loss/train', 'Loss/val', 'Accuracy/val']) expect(tags.has(tag)).toBe(true);
    }
    // The table: a row per run with its values, status and final metrics.
    const table = r.stdout.join('\n').split('\n');
    expect(table[0].trim().split(/\s+/)).toEqual([
      'run',
      'lr',
      'seed',
      'status',
      'Loss/train',
      'Loss/val',
      'Accuracy/val',
    ]);
    expect(table.slice(1).map((l) => l.trim().split(/\s+/).slice(0, 4))).toEqual([
      ['1', '0.001', '1', 'success'],
      ['2', '0.001', '2', 'success'],
      ['3', '0.01', '1', 'success'],
      ['4', '0.01', '2', 'success'],
    ]);
  }, 120_000);

  it('draws random runs with --random, each with every seed, one JSON line per run', async () => {
    const logdir = join(dir, 'random');
    const r = await sweep(
      ...TINY,
      '--lr',
      '1e-4..1e-1x4',
      '--seed',
      '1,2',
      '--random',
      '2',
      '--sweep-seed',
      '5',
      '--json',
      '--logdir',
      logdir,
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => [l.index, l.seed, l.status])).toEqual([
      [0, 1, 'success'],
      [1, 2, 'success'],
      [2, 1, 'success'],
      [3, 2, 'success'],
    ]);
    for (const l of lines) {
      expect(l.run).toBe(`lr=${l.lr},seed=${l.seed}`);
      expect(l.lr).toBeGreaterThanOrEqual(1e-4);
      expect(l.lr).toBeLessThanOrEqual(1e-1);
      expect(l['Accuracy/val']).toBeGreaterThanOrEqual(0);
      expect(existsSync(join(logdir, l.run))).toBe(true);
    }
    expect(lines[1].lr).toBe(lines[0].lr);
    expect(lines[2].lr).not.toBe(lines[0].lr);
  }, 120_000);

  it('refuses a combination that cannot train before any run, and leaves the logdir unwritten', async () => {
    const logdir = join(dir, 'refused');
    const r = await sweep(...TINY, '--lr', '1e-3,-1', '--seed', '1,2', '--logdir', logdir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: --lr: run lr=-1,seed=1: the learning rate must be a finite number > 0, got -1',
    );
    expect(existsSync(logdir)).toBe(false);
    const cases: [string[], string][] = [
      [
        ['--lr', '1e-3', '--logdir', logdir],
        'error: nothing to sweep: give a setting several values, as --lr 1e-4,1e-3,1e-2 or --lr 1e-4..1e-1x4 (see --help)',
      ],
      [
        ['--lr', '1e-3,abc', '--logdir', logdir],
        'error: --lr expects numbers separated by commas, got "abc"',
      ],
      [
        ['--lr', '1e-3,1e-2'],
        'error: --logdir DIR is needed: each run writes its TensorBoard log into a folder of it',
      ],
      [
        ['--lr', '1e-3,1e-2', '--logdir', logdir, '--save', 'x.safetensors'],
        "error: --save is not for a sweep: each run would overwrite the last one's file (train one run with npm run train to use --save)",
      ],
      [
        ['--lr', '1e-3,1e-2', '--logdir', logdir, '--epochs', 'two'],
        'error: --epochs expects a number, got "two"',
      ],
      [
        ['--lr', '1e-3,1e-2', '--logdir', logdir, '--optimizer', 'adam,sgd', '--momentum', '0.9'],
        'error: --momentum: run lr=0.001,optimizer=adam: momentum applies to sgd and rmsprop; adam has none (its betas play that part)',
      ],
    ];
    for (const [argv, error] of cases) {
      const got = await sweep('--backend', 'cpu', ...argv);
      expect(got.stderr, argv.join(' ')).toContain(error);
      expect(got.code).toBe(2);
    }
    expect(existsSync(logdir)).toBe(false);
  });

  it('refuses a logdir that holds a sweep already', async () => {
    // A run's folder from an earlier sweep: the new one's log would be mixed into it.
    mkdirSync(join(dir, 'taken', 'lr=0.01'), { recursive: true });
    writeFileSync(join(dir, 'taken', 'lr=0.01', 'events.out.tfevents.1.host.1.0'), '');
    const r = await sweep(...TINY, '--lr', '1e-3,1e-2', '--logdir', join(dir, 'taken'));
    expect(r.code).toBe(2);
    expect(r.stderr.join('\n')).toMatch(/taken\/lr=0\.01 already holds a TensorBoard log/);
  });

  it('ends on Ctrl-C after the run in hand stops, its session left open, and exits 130', async () => {
    const logdir = join(dir, 'stopped');
    const r = await sweepStopped(() => true, ...TINY, '--lr', '1e-3,1e-2', '--logdir', logdir);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('Stopped after 1 of 2 runs');
    expect(readdirSync(logdir).filter((f) => !f.startsWith('events.'))).toEqual(['lr=0.001']);
    // Started, never ended: the HParams tab does not take it for a result.
    const hp = readHParams(eventFile(join(logdir, 'lr=0.001')));
    expect(hp.map((v) => v.tag)).toEqual([HPARAMS_TAGS.sessionStart]);
    expect(r.stdout.join('\n')).toMatch(/1\s+0\.001\s+stopped/);
  });

  it('goes on past a run that fails, marked so, and frees each run on the backend the runs share', async () => {
    const io = { stdout: () => {}, stderr: () => {}, tty: false, stopRequested: () => false };
    const two = await sweepCli([...TINY, '--lr', '1e-3,1e-2', '--logdir', join(dir, 'two')], io);
    // Adam at 0.1 and 0.3 on this data: the loss explodes within an epoch, and the run fails.
    const logdir = join(dir, 'four');
    const four = await sweepCli([...TINY, '--lr', '1e-3,1e-2,0.1,0.3', '--logdir', logdir], io);
    expect(four.results.map((r) => r.status)).toEqual(['success', 'success', 'failure', 'failure']);
    expect(four.results[2].error).toMatch(/^the training loss grew to .* Try a lower learning rate/);
    expect(readHParams(eventFile(join(logdir, 'lr=0.3'))).map((v) => v.data.sessionEnd)).toEqual([
      undefined,
      2, // STATUS_FAILURE
    ]);
    // What the backend holds after the sweep does not grow with its runs, failed ones included.
    const held = (o: typeof two) => o.backend?.memory().bytesInUse;
    expect(held(four)).toBe(held(two));
    expect(held(two)).toBeLessThan(1000);
  }, 120_000);
});
