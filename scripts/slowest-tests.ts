/**
 * A Vitest reporter that lists the 10 slowest tests of a run with their share of the per-test
 * timeout, so a test whose work creeps towards its timeout (which a loaded machine then passes:
 * a wall-clock failure) is seen and cut down while it still passes. Vitest loads it from
 * vitest.config.ts; it is no part of the app.
 */
import { relative } from 'node:path';
import type { Reporter, TestCase } from 'vitest/node';

/** How many of the slowest tests are listed. */
const LISTED = 10;

/** The slowest tests of a run, printed when it ends. */
export default class SlowestTests implements Reporter {
  private readonly times: { name: string; ms: number }[] = [];

  constructor(private readonly timeoutMs: number) {}

  onTestCaseResult(test: TestCase): void {
    const ms = test.diagnostic()?.duration;
    if (ms !== undefined)
      this.times.push({ name: `${relative(process.cwd(), test.module.moduleId)} > ${test.fullName}`, ms });
  }

  onTestRunEnd(): void {
    if (!this.times.length) return;
    const slowest = this.times.sort((a, b) => b.ms - a.ms).slice(0, LISTED);
    const lines = slowest.map(
      ({ name, ms }) =>
        `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${((100 * ms) / this.timeoutMs).toFixed(0).padStart(3)}% of the timeout  ${name}`,
    );
    process.stdout.write(`\nThe ${slowest.length} slowest tests:\n${lines.join('\n')}\n`);
  }
}
