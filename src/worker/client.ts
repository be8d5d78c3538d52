/**
 * The page's side of the worker: starts the training worker and gives typed `send`, `subscribe`
 * and `request`, so UI code never handles raw MessageEvents or forgets a transfer list.
 */
import { type FromWorker, type MessageOf, type ToWorker, transferables } from './protocol';

/** A listener for every report the worker posts. */
export type WorkerListener = (msg: FromWorker) => void;

/** The worker died, was stopped, or did not answer a request in time. */
export class WorkerGoneError extends Error {
  override name = 'WorkerGoneError';
}

/** How long a request waits for its answer before giving up (a stuck worker must not hang the page). */
const REQUEST_TIMEOUT_MS = 120_000;

/** A running training worker. */
export class WorkerClient {
  private readonly listeners = new Set<WorkerListener>();
  /** Rejecters of the requests awaiting an answer, settled all at once if the worker goes away. */
  private readonly waiting = new Set<(e: WorkerGoneError) => void>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      for (const l of this.listeners) l(e.data);
    };
    // A worker that fails to load or throws outside the session's handler would otherwise be silent.
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const message = e.message || 'the training worker failed to start';
      this.settle(new WorkerGoneError(message));
      const msg: FromWorker = { type: 'error', kind: 'internal', message };
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

  /**
   * Sends `msg` and resolves with its answer: the first report of `type` that `match` accepts, or
   * an `error` about the same run. Rejects with WorkerGoneError when the worker fails, is
   * terminated, or has not answered within `timeoutMs`.
   */
  request<T extends FromWorker['type']>(
    msg: ToWorker,
    type: T,
    match: (reply: MessageOf<FromWorker, T>) => boolean,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<MessageOf<FromWorker, T | 'error'>> {
    const runId = 'runId' in msg ? msg.runId : undefined;
    return new Promise((resolve, reject) => {
      const done = () => {
        off();
        clearTimeout(timer);
        this.waiting.delete(fail);
      };
      const fail = (e: WorkerGoneError) => {
        done();
        reject(e);
      };
      const off = this.subscribe((reply) => {
        const answers =
          (reply.type === type && match(reply as MessageOf<FromWorker, T>)) ||
          (reply.type === 'error' && runId !== undefined && reply.runId === runId);
        if (!answers) return;
        done();
        resolve(reply as MessageOf<FromWorker, T | 'error'>);
      });
      const timer = setTimeout(
        () => fail(new WorkerGoneError(`the training worker did not answer within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.waiting.add(fail);
      this.send(msg);
    });
  }

  /** Stops the worker and everything it holds (the GPU device with it); pending requests reject. */
  terminate(): void {
    this.worker.terminate();
    this.settle(new WorkerGoneError('the training worker was stopped'));
    this.listeners.clear();
  }

  private settle(e: WorkerGoneError): void {
    for (const fail of [...this.waiting]) fail(e);
  }
}
