/** What the page knows about WebGPU, and which backend training will use. */
import type { StateCreator } from 'zustand';
import type { Backend } from '../../worker/protocol';
import type { GpuProbe } from '../gpuInfo';
import type { KilnState } from './index';

/** The GPU slice: the probe's result (null while it runs) and the chosen backend. */
export interface GpuSlice {
  gpu: GpuProbe | null;
  backend: Backend;
  /** Records the probe; without WebGPU the backend falls back to WASM on the CPU. */
  setGpuProbe: (probe: GpuProbe) => void;
}

/** Creates the GPU slice. */
export const createGpuSlice: StateCreator<KilnState, [], [], GpuSlice> = (set) => ({
  gpu: null,
  backend: 'webgpu',
  setGpuProbe: (probe) => set({ gpu: probe, backend: probe.status === 'ready' ? 'webgpu' : 'wasm' }),
});
