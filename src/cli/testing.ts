/** Test helpers for the CLI: `npm run train` as a user runs it (a child process), and in-process. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliMain } from './train';

/** The repository's root, where `npm run train` runs. */
export const ROOT = join(import.meta.dirname, '../..');

/** `npm run train -- ...args` in a child process: its exit status and what it printed. */
export function spawnTrain(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', ['scripts/run-node.mjs', 'src/cli/train.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI's own entry in this process (faster than a child): its exit code and stderr's lines. */
export async function runCli(...argv: string[]): Promise<{ code: number; stderr: string[] }> {
  const stderr: string[] = [];
  const code = await cliMain(argv, {
    stdout: () => {},
    stderr: (s) => stderr.push(...s.split('\n')),
    tty: false,
    stopRequested: () => false,
  });
  return { code, stderr };
}

/** The JSON objects of `--json` output, one per line. */
export function jsonLines<T = Record<string, number>>(stdout: string): T[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}
