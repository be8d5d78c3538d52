/// <reference lib="webworker" />
/** The Web Worker entry: owns the GPU device and runs training off the page's main thread. */
import { type FromWorker, transferables } from './protocol';
import { Session } from './session';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const session = new Session((msg: FromWorker) => scope.postMessage(msg, transferables(msg)));

// What arrives is untrusted until the session reads it through the protocol's schema.
scope.onmessage = (e: MessageEvent<unknown>) => {
  void session.handle(e.data);
};
