/**
 * What `npm run train -- --lr-find` prints: the range test's curve as a text plot (smoothed loss
 * against log10 lr, the marks drawn in), the marks and the suggestion in words, or with --json one
 * line holding them and the curve.
 */
import { type LrFindResult, type LrFindSettings, roundLr } from 'kiln/config';

/** The plot's size in characters: wide enough for 9 decades, short enough for a terminal. */
const WIDTH = 64;
const HEIGHT = 14;

/** A learning rate as a user would type it back. */
export function lrText(lr: number): string {
  return String(roundLr(lr));
}

/** Why the test ended, in words. */
function endText(r: LrFindResult): string {
  const last = r.points.at(-1);
  switch (r.end) {
    case 'completed':
      return 'ran every step';
    case 'diverged':
      return `the loss diverged at lr ${last ? lrText(last.lr) : '?'}, as expected at the end`;
    case 'non-finite':
      return `the loss became NaN or infinite after lr ${last ? lrText(last.lr) : '?'}, as expected at the end`;
    case 'stopped':
      return 'stopped on request';
  }
}

/**
 * The curve as text: smoothed loss (rows) against log10 lr (columns, startLr to endLr), `*` the
 * curve, `S` the steepest descent, `M` the minimum and `|` a column at minimum/10 (the
 * suggestion). The y range runs from the lowest smoothed loss to its first value's 1.5 times, so the
 * diverging tail leaves the top rather than flattening the rest.
 */
export function lrFindPlot(r: LrFindResult, s: Pick<LrFindSettings, 'startLr' | 'endLr'>): string {
  const pts = r.points;
  if (!pts.length) return '(no points)';
  const smoothed = pts.map((p) => p.smoothed);
  const lo = Math.min(...smoothed);
  const hi = Math.max(lo + 1e-6, Math.min(Math.max(...smoothed), 1.5 * pts[0].smoothed));
  const [x0, x1] = [Math.log10(s.startLr), Math.log10(s.endLr)];
  const col = (lr: number) => Math.round(((Math.log10(lr) - x0) / (x1 - x0)) * (WIDTH - 1));
  const row = (loss: number) => Math.round(((hi - Math.min(loss, hi)) / (hi - lo)) * (HEIGHT - 1));
  const grid = Array.from({ length: HEIGHT }, () => Array<string>(WIDTH).fill(' '));
  if (r.minimumTenth) for (const line of grid) line[col(r.minimumTenth.lr)] = '|';
  for (const p of pts) grid[row(p.smoothed)][col(p.lr)] = '*';
  if (r.steepest) grid[row(r.steepest.loss)][col(r.steepest.lr)] = 'S';
  if (r.minimum) grid[row(r.minimum.loss)][col(r.minimum.lr)] = 'M';
  const label = (i: number) => (hi - (i / (HEIGHT - 1)) * (hi - lo)).toFixed(3).padStart(8);
  const lines = grid.map(
    (g, i) => `${i === 0 || i === HEIGHT - 1 ? label(i) : ' '.repeat(8)} |${g.join('')}`,
  );
  lines.push(`${' '.repeat(8)} +${'-'.repeat(WIDTH)}`);
  // A tick under each decade: 1e-7 ... 10.
  const ticks = Array<string>(WIDTH + 10).fill(' ');
  for (let d = Math.ceil(x0); d <= Math.floor(x1); d += 2) {
    const text = d >= 0 ? String(10 ** d) : `1e${d}`;
    const at = 10 + col(10 ** d) - Math.floor(text.length / 2);
    for (const [k, ch] of [...text].entries()) if (at + k >= 0 && at + k < ticks.length) ticks[at + k] = ch;
  }
  lines.push(`${ticks.join('').trimEnd()}   (lr, log scale; smoothed loss)`);
  return lines.join('\n');
}

/** The human report: what ran, the plot, the marks and the suggestion. */
export function lrFindReport(r: LrFindResult, s: LrFindSettings, what: string): string {
  const lines = [
    `LR finder: ${what}, ${r.points.length} of ${s.numIt} steps from lr ${lrText(s.startLr)} to ${lrText(s.endLr)} (${endText(r)})`,
    lrFindPlot(r, s),
  ];
  if (r.suggestedLr === null || !r.steepest || !r.minimum) {
    lines.push(
      'No suggestion: the loss diverged within the first steps. Try a lower start (the model may not train at all: check the data and the model).',
    );
    return lines.join('\n');
  }
  lines.push(
    `S steepest descent: lr ${lrText(r.steepest.lr)} (smoothed loss ${r.steepest.loss.toFixed(4)})`,
    `M minimum: lr ${lrText(r.minimum.lr)} (smoothed loss ${r.minimum.loss.toFixed(4)}); | minimum/10: lr ${lrText(r.suggestedLr)}`,
    `Suggested lr: ${lrText(r.suggestedLr)} (minimum/10), e.g. --lr ${lrText(r.suggestedLr)}`,
  );
  return lines.join('\n');
}

/** The --json line: the suggestion, the marks, why it ended and the curve, in snake_case as the epoch lines. */
export function lrFindJson(r: LrFindResult): string {
  return JSON.stringify({
    suggested_lr: r.suggestedLr,
    steepest_lr: r.steepest?.lr ?? null,
    minimum_lr: r.minimum?.lr ?? null,
    minimum_tenth_lr: r.minimumTenth?.lr ?? null,
    end: r.end,
    steps: r.points.length,
    curve: r.points.map((p) => ({ lr: p.lr, loss: p.loss, smoothed: p.smoothed })),
  });
}
