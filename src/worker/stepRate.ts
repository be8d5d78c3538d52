/**
 * A run's training speed as the run bar shows it (samples/s, and from it the time left): counted
 * over the time spent taking steps alone. Compiling, validating, saving a checkpoint, waiting while
 * paused or while the page reads the weights are not training: counted, they made the first
 * estimate (taken over the first step's kernel compilation) read minutes for a run seconds from its
 * end, and made the speed sink after each validation or pause.
 */
export class StepRate {
  /** When the last counted step ended (ms), or null while the clock is stopped. */
  private since: number | null = null;
  /** Steps and training time (ms) counted since the last read. */
  private steps = 0;
  private ms = 0;
  /** The last rate measured, in steps per second (0 before any). */
  private rate = 0;

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
   * Steps per second over the training time since the last read, or the last rate measured when
   * no step was counted since (a read right after a validation or a pause).
   */
  read(): number {
    if (this.steps > 0 && this.ms > 0) this.rate = (this.steps * 1000) / this.ms;
    this.steps = 0;
    this.ms = 0;
    return this.rate;
  }
}
