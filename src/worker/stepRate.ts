/**
 * A run's training speed as the run bar shows it (samples/s, and from it the time left): steps over
 * the time spent training alone. Compiling, validating, saving a checkpoint, waiting while paused
 * or while the page reads the weights are not training: counted, they made the first estimate
 * (taken over the first step's kernel compilation) read minutes for a run seconds from its end,
 * and made the speed sink after each validation.
 *
 * Steps are counted as the GPU finishes them: at each loss read (the read of step k's window
 * resolves once the GPU has done step k), not as the page encodes them, which runs a window ahead
 * and read 50,000 samples/s over a first step's few milliseconds of encoding. The speed is taken
 * over the last few seconds of training, not over one logging window: a window of a few steps is
 * one wait for the GPU or none, and read 160 then 1,600 samples/s for a steady 550.
 */

/** How much training time (ms) the speed is taken over. */
export const WINDOW_MS = 5000;

/** Steps per second over training time, from the loss reads. */
export class StepRate {
  /** The step and time (ms) the last interval ended at: the last read, or where measuring began. */
  private mark: { step: number; time: number } | null = null;
  /** Time (ms) since the mark that was not training, and when the clock stopped if it is stopped. */
  private excluded = 0;
  private haltedSince: number | null = null;
  /** The steps and training time of the intervals within the last WINDOW_MS of training, oldest first. */
  private recent: { steps: number; ms: number }[] = [];
  /** The last rate measured, in steps per second (0 before any). */
  private rate = 0;

  /** Whether measuring has begun (start, or a first read). */
  get started(): boolean {
    return this.mark !== null;
  }

  /** Measuring begins at `step`, done by `now` (after the first step, which compiles): earlier time is not counted. */
  start(step: number, now: number): void {
    this.mark = { step, time: now };
    this.excluded = 0;
    this.haltedSince = null;
  }

  /** The run stops training at `now` (a pause, a validation, a checkpoint): that time is not counted. */
  halt(now: number): void {
    this.haltedSince ??= now;
  }

  /** The run trains again from `now`. */
  go(now: number): void {
    if (this.haltedSince === null) return;
    this.excluded += now - this.haltedSince;
    this.haltedSince = null;
  }

  /**
   * The loss read of `step` arrived at `now`: steps per second over about the last WINDOW_MS of
   * training time (all of it, before there is that much); the last rate while nothing new is
   * measured (the first read, a read with no step since).
   */
  read(step: number, now: number): number {
    if (this.mark === null) {
      this.start(step, now);
      return this.rate;
    }
    const stopped = this.haltedSince === null ? 0 : now - this.haltedSince;
    const steps = step - this.mark.step;
    const ms = now - this.mark.time - this.excluded - stopped;
    this.mark = { step, time: now };
    this.excluded = 0;
    // A read that lands while stopped: the rest of the stop counts against the next interval.
    if (this.haltedSince !== null) this.haltedSince = now;
    if (steps > 0 && ms > 0) {
      this.recent.push({ steps, ms });
      let total = this.recent.reduce((t, r) => t + r.ms, 0);
      // Older intervals go once the newer ones alone cover the window.
      while (this.recent.length > 1 && total - this.recent[0].ms >= WINDOW_MS)
        total -= this.recent.shift()?.ms ?? 0;
      this.rate = (this.recent.reduce((t, r) => t + r.steps, 0) * 1000) / total;
    }
    return this.rate;
  }
}
