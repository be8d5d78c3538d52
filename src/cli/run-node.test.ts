/**
 * scripts/run-node.mjs, the launcher of `npm run train` and `npm run bench`: a signal sent to its
 * PID must stop the program it runs, leave no process behind, and come back as the exit status.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A fixed folder, so repeated runs reuse one bundle in node_modules/.cache/kiln.
const dir = join(tmpdir(), 'kiln-run-node-test');
mkdirSync(dir, { recursive: true });
const sleeper = join(dir, 'sleeper.ts');
// Reports its PID, then sleeps until a signal ends it, or exits with the code it is given.
writeFileSync(
  sleeper,
  `const code = process.argv[2];
if (code !== undefined) process.exit(Number(code));
console.log('ready ' + process.pid);
setInterval(() => {}, 60_000);
`,
);

function launch(...args: string[]): ChildProcess {
  return spawn(process.execPath, ['scripts/run-node.mjs', sleeper, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The PID the program reports once it runs (the wait is bounded by the test's timeout). */
function ready(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk) => {
      text += chunk;
      const m = /ready (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code, signal) => reject(new Error(`exited first: ${code ?? signal}`)));
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('run-node.mjs', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`stops the program on ${signal} to its PID, leaving no process behind`, async () => {
      const child = launch();
      const pid = await ready(child);
      // The program runs in the launcher's own process: nothing can be left running after it.
      expect(pid).toBe(child.pid);
      const exit = exited(child);
      child.kill(signal);
      // Death by the signal, which a shell reports as 128 + its number (130 for SIGINT).
      expect(await exit).toEqual({ code: null, signal });
      expect(alive(pid)).toBe(false);
    });
  }

  it("exits with the program's exit code", async () => {
    expect(await exited(launch('3'))).toEqual({ code: 3, signal: null });
  });
});
