/** Counting the kernel launches a piece of training takes, by wrapping the backend's run. */
import type { WebGPUBackend } from 'kiln';

/** Counts every launch on `backend` from now until stop(), which restores run and gives the count. */
export function countLaunches(backend: WebGPUBackend): { stop: () => number } {
  const run0 = backend.run;
  let launches = 0;
  backend.run = (call) => {
    launches++;
    run0.call(backend, call);
  };
  return {
    stop: () => {
      backend.run = run0;
      return launches;
    },
  };
}
