/**
 * The learning-rate range test's curve and what is read off it: its schedule, the marks (steepest
 * descent, minimum, minimum/10) and the suggestion, as plain data and pure functions, so the CLI's
 * report and the page's chart read them without loading the engine (lr_find.ts runs the test).
 */

/** The settings of a range test. */
export interface LrFindSettings {
  /** The first step's learning rate. */
  startLr: number;
  /** The last step's learning rate, reached at step numIt. */
  endLr: number;
  /** Steps at most; the test ends sooner when the loss diverges. */
  numIt: number;
  /** The loss's exponential moving average factor, debiased as Adam's moments are. */
  beta: number;
  /** Stop once the smoothed loss exceeds this many times its minimum so far. */
  divergeFactor: number;
}

/** fastai's defaults: lr from 1e-7 to 10 over 100 steps, smoothing 0.98, stop at 4x the best loss. */
export const LR_FIND_DEFAULTS: Readonly<LrFindSettings> = {
  startLr: 1e-7,
  endLr: 10,
  numIt: 100,
  beta: 0.98,
  divergeFactor: 4,
};

/** The bounds lrFind accepts for numIt: a curve needs points, and the test is meant to be short. */
export const LR_FIND_MAX_IT = 1000;

/** One step of the test: the lr it trained at, its batch's loss, and the smoothed loss. */
export interface LrFindPoint {
  /** 1-based. */
  step: number;
  lr: number;
  loss: number;
  smoothed: number;
}

/** A marked point of the curve: its learning rate and smoothed loss there. */
export interface LrMark {
  lr: number;
  loss: number;
}

/** Why the test ended. */
export type LrFindEnd =
  /** All numIt steps ran without the loss diverging. */
  | 'completed'
  /** The smoothed loss passed divergeFactor times its minimum, or the trainer's own divergence limit. */
  | 'diverged'
  /** A batch's loss was NaN or infinite (that step is not on the curve). */
  | 'non-finite'
  /** shouldStop asked it to. */
  | 'stopped';

/** What the test found. */
export interface LrFindResult {
  /** Every step measured, in order. */
  points: LrFindPoint[];
  /**
   * The steepest descent: the lr where the smoothed loss falls fastest against log10(lr) (the most
   * negative finite difference between neighbouring points). null with fewer than 2 points left
   * once the ends are trimmed (see markedRange).
   */
  steepest: LrMark | null;
  /** The minimum of the smoothed loss, and its lr (null as steepest). */
  minimum: LrMark | null;
  /** minimum.lr / 10, with the smoothed loss at the point nearest to it (null as steepest). */
  minimumTenth: LrMark | null;
  /**
   * The learning rate to train at: minimumTenth's. The minimum of a smoothed loss is a stable
   * feature of the curve, and a tenth of it is still on the descending slope, an order of magnitude
   * below where the loss starts to blow up (Smith's and fastai v1's rule, `lr_min`). The steepest
   * point is a derivative of a noisy curve: a single noisy batch can move it by a decade, often
   * into the flat start where training crawls, so it is offered as a mark, not the suggestion.
   * null when there are too few points (the loss diverged almost at once: lower startLr).
   */
  suggestedLr: number | null;
  end: LrFindEnd;
}

/** The learning rate of step `i` (0-based) of a test from startLr to endLr in numIt steps. */
export function lrAt(i: number, o: { startLr: number; endLr: number; numIt: number }): number {
  return o.numIt === 1 ? o.startLr : o.startLr * (o.endLr / o.startLr) ** (i / (o.numIt - 1));
}

/** Options with their defaults filled in; options no test can run with are refused in one line naming the option. */
export function checkLrFindOptions(o: Partial<LrFindSettings>): LrFindSettings {
  const d = LR_FIND_DEFAULTS;
  const r: LrFindSettings = {
    startLr: o.startLr ?? d.startLr,
    endLr: o.endLr ?? d.endLr,
    numIt: o.numIt ?? d.numIt,
    beta: o.beta ?? d.beta,
    divergeFactor: o.divergeFactor ?? d.divergeFactor,
  };
  const positive = (x: number) => Number.isFinite(x) && x > 0;
  if (!positive(r.startLr)) throw new RangeError(`startLr must be a finite number > 0, got ${r.startLr}`);
  if (!positive(r.endLr) || r.endLr <= r.startLr)
    throw new RangeError(`endLr must be a finite number > startLr (${r.startLr}), got ${r.endLr}`);
  if (!(Number.isInteger(r.numIt) && r.numIt >= 2 && r.numIt <= LR_FIND_MAX_IT))
    throw new RangeError(`numIt must be a whole number in [2, ${LR_FIND_MAX_IT}], got ${r.numIt}`);
  if (!(r.beta >= 0 && r.beta < 1)) throw new RangeError(`beta must lie in [0, 1), got ${r.beta}`);
  if (!(Number.isFinite(r.divergeFactor) && r.divergeFactor > 1))
    throw new RangeError(`divergeFactor must be a finite number > 1, got ${r.divergeFactor}`);
  return r;
}

/**
 * The part of a curve the marks are read from, as fastai reads it: the first tenth of numIt is
 * left out (the loss has not begun to move, and the debiased average still leans on few batches),
 * and the last 5 points (where the loss is blowing up) too. A curve cut short keeps at least its
 * first points past the start.
 */
export function markedRange(points: readonly LrFindPoint[], numIt: number): LrFindPoint[] {
  const skipStart = Math.floor(numIt / 10);
  const end = Math.max(points.length - 5, Math.min(points.length, skipStart + 2));
  return points.slice(Math.min(skipStart, Math.max(0, end - 2)), end);
}

/**
 * The marks of a curve (see LrFindResult): the steepest descent, the minimum and a tenth of it, and
 * the suggestion. Pure, so the page could draw them from the points alone.
 */
export function lrMarks(
  points: readonly LrFindPoint[],
  numIt: number,
): Pick<LrFindResult, 'steepest' | 'minimum' | 'minimumTenth' | 'suggestedLr'> {
  const range = markedRange(points, numIt);
  if (range.length < 2) return { steepest: null, minimum: null, minimumTenth: null, suggestedLr: null };
  let steep = 0;
  let slope = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < range.length; i++) {
    const s = (range[i + 1].smoothed - range[i].smoothed) / Math.log10(range[i + 1].lr / range[i].lr);
    if (s < slope) [slope, steep] = [s, i];
  }
  let low = 0;
  for (let i = 1; i < range.length; i++) if (range[i].smoothed < range[low].smoothed) low = i;
  const tenth = range[low].lr / 10;
  // The recorded point nearest to lr / 10 on a log axis, for the mark's height on the chart.
  const near = points.reduce((a, b) =>
    Math.abs(Math.log(b.lr / tenth)) < Math.abs(Math.log(a.lr / tenth)) ? b : a,
  );
  return {
    steepest: { lr: range[steep].lr, loss: range[steep].smoothed },
    minimum: { lr: range[low].lr, loss: range[low].smoothed },
    minimumTenth: { lr: tenth, loss: near.smoothed },
    suggestedLr: tenth,
  };
}

/** A learning rate as a user would type it back: 3 significant figures (0.0026, 1e-7). */
export function roundLr(lr: number): number {
  return Number(lr.toPrecision(3));
}
