/**
 * The signals that stop a CLI run after the step in hand, with its checkpoint written: Ctrl-C
 * (SIGINT), SIGTERM (timeout, a supervisor, docker stop) and SIGHUP (the terminal closed, an SSH
 * connection dropped). Node's default for each is to die at once, losing every step since the
 * last checkpoint. A second signal quits at once.
 */
import { constants } from 'node:os';

/** The signals handled, in the order --help names them. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Whether a stop was asked for, and the exit status that tells the shell which signal. */
export interface StopSignals {
  requested(): boolean;
  /** The CLI's code, with a stop (130) told as 128 + the signal's number, as shells report it. */
  exitCode(code: number): number;
}

/** Installs the handlers on this process; `say` tells the user what happens next. */
export function handleStopSignals(say: (line: string) => void): StopSignals {
  let stops = 0;
  let last: NodeJS.Signals = 'SIGINT';
  const status = (signal: NodeJS.Signals) => 128 + constants.signals[signal];
  const onSignal = (signal: NodeJS.Signals) => {
    last = signal;
    if (signal === 'SIGHUP') {
      // The terminal is gone: a write to it fails (EIO), and an unhandled stream error would kill
      // the process before the checkpoint is written.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    }
    if (++stops > 1) process.exit(status(signal));
    say(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping after this step (again to quit now)`);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    requested: () => stops > 0,
    exitCode: (code) => (code === 130 ? status(last) : code),
  };
}
