/**
 * The page's side of the worker: starts the training worker and gives typed `send` and
 * `subscribe`, so UI code never handles raw MessageEvents or forgets a transfer list.
 */
import { type FromWorker, type MessageOf, type ToWorker, transferables } from './protocol';

/** A listener for every report the worker posts. */
export type WorkerListener = (msg: FromWorker) => void;

/** A running training worker. */
export class WorkerClient {
  private readonly listeners = new Set<WorkerListener>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      for (const l of this.listeners) l(e.data);
    };
    // A worker that fails to load or throws outside the session's handler would otherwise be silent.
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const msg: FromWorker = {
        type: 'error',
        kind: 'internal',
        message: e.message || 'the training worker failed to start',
      };
      for (const l of this.listeners) l(msg);
    };
  }

  /** Starts the app's training worker (Vite bundles it as a module worker). */
  static start(): WorkerClient {
    return new WorkerClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
  }

  /** Sends a command; its byte buffers are transferred, so the caller must not reuse them. */
  send(msg: ToWorker): void {
    this.worker.postMessage(msg, transferables(msg));
  }

  /** Calls `listener` for every report until the returned function is called. */
  subscribe(listener: WorkerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first report of `type` that `match` accepts. */
  next<T extends FromWorker['type']>(
    type: T,
    match: (msg: MessageOf<FromWorker, T>) => boolean = () => true,
  ): Promise<MessageOf<FromWorker, T>> {
    return new Promise((resolve) => {
      const off = this.subscribe((msg) => {
        if (msg.type === type && match(msg as MessageOf<FromWorker, T>)) {
          off();
          resolve(msg as MessageOf<FromWorker, T>);
        }
      });
    });
  }

  /** Stops the worker and everything it holds (the GPU device with it). */
  terminate(): void {
    this.worker.terminate();
    this.listeners.clear();
  }
}
