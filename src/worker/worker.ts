/// <reference lib="webworker" />
/** The Web Worker entry: owns the GPU device and runs training off the page's main thread. */
import { type FromWorker, type ToWorker, transferables } from './protocol';
import { Session } from './session';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const session = new Session((msg: FromWorker) => scope.postMessage(msg, transferables(msg)));

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  void session.handle(e.data);
};
