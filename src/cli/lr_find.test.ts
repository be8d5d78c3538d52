/**
 * `npm run train -- --lr-find`: its report (the text plot, the marks, the --json line), the flags it
 * refuses before any work, and the test of the suggestion: the lr it finds for SimpleNN
 * with Adam on MNIST trains to >= 95% validation accuracy in one epoch.
 */
import { describe, expect, it } from 'vitest';
import { type LrFindResult, lrAt, lrMarks } from '../train/lr_curve';
import { lrFindJson, lrFindPlot, lrFindReport } from './lr_find';
import { jsonLines, runCli, spawnTrain } from './testing';

/** A made-up curve: flat, falling to a minimum at 1e-2, then blowing up. */
function madeUp(): LrFindResult {
  const o = { startLr: 1e-7, endLr: 10, numIt: 100 };
  const points = Array.from({ length: 90 }, (_, i) => {
    const x = Math.log10(lrAt(i, o));
    const loss = x < -5 ? 2.3 : x < -2 ? 2.3 - 0.5 * (x + 5) : 0.8 + 2 * (x + 2) ** 2;
    return { step: i + 1, lr: lrAt(i, o), loss, smoothed: loss };
  });
  return { points, ...lrMarks(points, 100), end: 'diverged' };
}

describe('the --lr-find report', () => {
  const r = madeUp();
  const settings = { startLr: 1e-7, endLr: 10, numIt: 100, beta: 0.98, divergeFactor: 4 };

  it('plots the smoothed loss against log lr with the marks, and says the suggestion', () => {
    const plot = lrFindPlot(r, settings).split('\n');
    // 14 rows, the axis, the ticks; the lowest label is the minimum's loss.
    expect(plot).toHaveLength(16);
    expect(plot[13]).toMatch(/^ {3}0\.800 \|/);
    expect(plot[15]).toMatch(/^ +1e-7 .* 10 {3}\(lr, log scale; smoothed loss\)$/);
    const text = plot.join('\n');
    for (const mark of ['S', 'M', '|', '*']) expect(text).toContain(mark);
    const report = lrFindReport(r, settings, 'SimpleNN with adam');
    expect(report).toContain('90 of 100 steps from lr 1e-7 to 10 (the loss diverged at lr');
    expect(report).toMatch(/M minimum: lr 0\.01\d* /);
    expect(report).toContain(
      `Suggested lr: ${Number((r.suggestedLr as number).toPrecision(3))} (minimum/10)`,
    );
  });

  it('--json is one line: suggested_lr, the marks, the end and the curve', () => {
    const line = lrFindJson(r);
    expect(line).not.toContain('\n');
    const j = JSON.parse(line);
    expect(j).toMatchObject({
      suggested_lr: r.suggestedLr,
      steepest_lr: r.steepest?.lr,
      minimum_lr: r.minimum?.lr,
      minimum_tenth_lr: r.minimumTenth?.lr,
      end: 'diverged',
      steps: 90,
    });
    expect(j.curve[5]).toEqual({
      lr: r.points[5].lr,
      loss: r.points[5].loss,
      smoothed: r.points[5].smoothed,
    });
  });

  it('says so when the loss diverged at once and there is nothing to suggest', () => {
    const cut = { ...r, points: r.points.slice(0, 1), ...lrMarks(r.points.slice(0, 1), 100) };
    expect(lrFindReport(cut, settings, 'x')).toContain(
      'No suggestion: the loss diverged within the first steps',
    );
    expect(JSON.parse(lrFindJson(cut)).suggested_lr).toBeNull();
  });
});

describe('npm run train -- --lr-find', () => {
  const TINY = [
    '--backend',
    'cpu',
    '--dataset',
    'synthetic',
    '--limit',
    '300',
    '--model',
    'linear:16,relu,linear:2',
  ];

  it('refuses what it cannot go with, before any work, in one line', async () => {
    const cases: [string[], RegExp][] = [
      [['--resume', 'x.safetensors'], /--lr-find looks for a new run's learning rate.*give --init FILE/],
      [
        ['--save', 'x.safetensors', '--logdir', 'tb'],
        /--lr-find writes nothing and trains nothing to keep: drop --save, --logdir/,
      ],
      [['--init', 'x.safetensors', '--eval-only'], /--lr-find and --eval-only are two modes/],
    ];
    for (const [flags, message] of cases) {
      const { code, stderr } = await runCli(...TINY, '--lr-find', ...flags);
      expect(code).toBe(2);
      expect(stderr.join('\n')).toMatch(message);
    }
  });

  it('prints the curve and the suggestion; with --json one line holding suggested_lr', () => {
    const text = spawnTrain(...TINY, '--lr-find');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^LR finder: custom with adam, batch size 64, \d+ of 100 steps/);
    expect(text.stdout).toMatch(/Suggested lr: [\d.e-]+ \(minimum\/10\)/);
    const json = spawnTrain(...TINY, '--lr-find', '--json');
    expect(json.status).toBe(0);
    const [line] = jsonLines<{ suggested_lr: number; curve: unknown[] }>(json.stdout);
    expect(line.suggested_lr).toBeGreaterThan(0);
    expect(line.curve.length).toBeGreaterThan(10);
    // The same seed, the same curve: the text run printed the suggestion the JSON holds.
    expect(text.stdout).toContain(`Suggested lr: ${Number(line.suggested_lr.toPrecision(3))} `);
  });

  it('the suggestion for SimpleNN/Adam on MNIST trains to >= 95% validation accuracy in one epoch', () => {
    const found = spawnTrain('--lr-find', '--optimizer', 'adam', '--json');
    expect(found.status, found.stderr).toBe(0);
    const [{ suggested_lr: lr, steepest_lr: steepest }] = jsonLines(found.stdout);
    console.log(`LR finder, SimpleNN/Adam on MNIST: suggested lr ${lr} (minimum/10; steepest ${steepest})`);
    expect(lr).toBeGreaterThan(0);
    const trained = spawnTrain('--optimizer', 'adam', '--lr', String(lr), '--epochs', '1', '--json');
    expect(trained.status, trained.stderr).toBe(0);
    const [epoch] = jsonLines(trained.stdout);
    console.log(`one epoch at lr ${lr}: val acc ${(epoch.val_acc * 100).toFixed(2)}%`);
    expect(epoch.val_acc).toBeGreaterThanOrEqual(0.95);
  }, 300_000);
});
