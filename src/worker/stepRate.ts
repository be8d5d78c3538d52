/**
 * A run's training speed as the run bar shows it (samples/s, and from it the time left): counted
 * over the time spent taking steps alone. Compiling, validating, saving a checkpoint, waiting while
 * paused or while the page reads the weights are not training: counted, they made the first
 * estimate (taken over the first step's kernel compilation) read minutes for a run seconds from its
 * end, and made the speed sink after each validation or pause. The speed is taken over the last
 * few seconds of training, not over one logging window: a window of a few steps is a few
 * milliseconds of the page encoding work for the GPU, or the wait for it, and read 160 samples/s
 * then 1,600 for a steady 550.
 */
/** How much training time (ms) the speed is taken over. */
export const WINDOW_MS = 5000;

export class StepRate {
  /** When the last counted step ended (ms), or null while the clock is stopped. */
  private since: number | null = null;
  /** Steps and training time (ms) counted since the last read. */
  private steps = 0;
  private ms = 0;
  /** The last rate measured, in steps per second (0 before any). */
  private rate = 0;
  /** The steps and training time of the reads within the last WINDOW_MS of training, oldest first. */
  private recent: { steps: number; ms: number }[] = [];

  /**
   * A step has just ended, at `now` (ms). The first step after the clock stopped (or the run's
   * first, which compiles) only starts it: how much of its time was training is not known.
   */
  step(now: number): void {
    if (this.since !== null) {
      this.steps++;
      this.ms += now - this.since;
    }
    this.since = now;
  }

  /** The run stops training for a while (a pause, a validation, a checkpoint): that time is not counted. */
  halt(): void {
    this.since = null;
  }

  /**
   * Steps per second over about the last WINDOW_MS of training time (all of it, before there is
   * that much), or the last rate measured when no step was counted since the last read (a read
   * right after a validation or a pause).
   */
  read(): number {
    if (this.steps > 0 && this.ms > 0) {
      this.recent.push({ steps: this.steps, ms: this.ms });
      let ms = this.recent.reduce((t, r) => t + r.ms, 0);
      // Older reads go once the newer ones alone cover the window.
      while (this.recent.length > 1 && ms - this.recent[0].ms >= WINDOW_MS)
        ms -= this.recent.shift()?.ms ?? 0;
      const steps = this.recent.reduce((t, r) => t + r.steps, 0);
      this.rate = (steps * 1000) / ms;
    }
    this.steps = 0;
    this.ms = 0;
    return this.rate;
  }
}
