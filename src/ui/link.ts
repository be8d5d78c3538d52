/**
 * The page's wiring to its training worker and its run database, and nothing more: which worker is
 * up, which runs it holds, and the database handles (runs, sweeps). The store's actions (store/*Actions.ts)
 * decide what to send and what a report means; this module only carries messages.
 */
import { WorkerClient } from '../worker/client';
import type { Backend, FromWorker, MessageOf, ToWorker } from '../worker/protocol';
import { RunDb } from './runs/runDb';
import { SweepDb } from './runs/sweepDb';

let client: WorkerClient | null = null;
let backend: Backend = 'webgpu';
let db: Promise<RunDb | null> = Promise.resolve(null);
let sweeps: Promise<SweepDb | null> = Promise.resolve(null);
/** Runs whose model the current worker holds (trained or imported since it started). */
const held = new Set<string>();

/** The link to the worker. */
export const link = {
  /** Whether a worker has been started. */
  get started(): boolean {
    return client !== null;
  },

  /** The backend the worker was asked to start (it may fall back to the CPU). */
  get backend(): Backend {
    return backend;
  },

  /** Opens the run database (once) and starts a worker on `on`, routing its reports to `onReport`. */
  start(on: Backend, onReport: (msg: FromWorker) => void): void {
    if (!client) {
      db = RunDb.open().catch(() => null);
      sweeps = SweepDb.open().catch(() => null);
    }
    client?.terminate();
    held.clear();
    backend = on;
    client = WorkerClient.start();
    client.subscribe(onReport);
    client.send({ type: 'init', backend: on });
  },

  /** Asks the running worker to start again on another backend (the probe's adapter failed there). */
  reinit(on: Backend): void {
    backend = on;
    client?.send({ type: 'init', backend: on });
  },

  /** Sends a command to the worker, if one is up. */
  send(msg: ToWorker): void {
    client?.send(msg);
  },

  /** Sends `msg` and waits for its answer (see WorkerClient.request); rejects when no worker is up. */
  request<T extends FromWorker['type']>(
    msg: ToWorker,
    type: T,
    match: (reply: MessageOf<FromWorker, T>) => boolean,
  ): Promise<MessageOf<FromWorker, T | 'error'>> {
    if (!client) return Promise.reject(new Error('the training worker is not running'));
    return client.request(msg, type, match);
  },

  /** The run database, or null where IndexedDB cannot be opened. */
  db(): Promise<RunDb | null> {
    return db;
  },

  /** The sweep database (the sweeps' queues), or null where IndexedDB cannot be opened. */
  sweepDb(): Promise<SweepDb | null> {
    return sweeps;
  },

  /** Whether the worker holds `runId`'s model. */
  holds(runId: string): boolean {
    return held.has(runId);
  },

  /** Notes that the worker now holds (or no longer holds) `runId`. */
  setHeld(runId: string, holds: boolean): void {
    if (holds) held.add(runId);
    else held.delete(runId);
  },
};
