/**
 * The default backend new parameters and tensors are created on, like torch.set_default_device,
 * and the global random generator behind initialisation and dropout, like torch.manual_seed.
 */
import type { Backend } from './backend';
import { CpuBackend } from './cpu';
import { Generator } from './random';

let current: Backend = new CpuBackend();

/** The backend modules create their parameters on. */
export function getDefaultBackend(): Backend {
  return current;
}

/** Sets the backend modules create their parameters on. */
export function setDefaultBackend(b: Backend): void {
  current = b;
}

/** The global generator (initialisation, dropout seeds), like torch's default generator. */
export const defaultGenerator = new Generator(0);

/** Seeds the global generator, like torch.manual_seed. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
