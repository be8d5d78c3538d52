/** Whether ops record the graph: off inside noGrad(), like torch.no_grad(). */
let enabled = true;

/** True unless inside noGrad(). */
export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs fn without recording gradients (evaluation, optimizer updates, running statistics). */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
