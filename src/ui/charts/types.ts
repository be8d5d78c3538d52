/** The data the scalar charts draw: runs, each with series of points keyed by tag. */

/** One logged value of one tag. */
export interface ChartPoint {
  step: number;
  value: number;
  /** Milliseconds since the Unix epoch. */
  wallTime: number;
  /** Epochs completed at this step, fractional within an epoch. */
  epoch: number;
}

/** One run as the charts see it. */
export interface ChartRun {
  id: string;
  name: string;
  color: string;
  visible: boolean;
  /** tag -> points in step order. */
  series: Record<string, ChartPoint[]>;
  /**
   * The trainer stopped it because its loss diverged (not finite, or over 10 times its first):
   * "ignore outliers" leaves it out of the y range, so it does not flatten the healthy runs.
   */
  diverged?: boolean;
}

/** What the horizontal axis measures, as TensorBoard's STEP / RELATIVE / (here) EPOCH. */
export type XAxisKind = 'step' | 'relative' | 'epoch';
