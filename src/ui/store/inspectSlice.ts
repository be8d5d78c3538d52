/**
 * What the filters panel looks at: which image it runs through the shown run's model (a dataset
 * sample, a misclassified validation image, or the digit last drawn on the pad), and the request
 * that asks the worker for the model's weights and each layer's output for it.
 */
import type { StateCreator } from 'zustand';
import type { Inspection } from '../../worker/protocol';
import { link } from '../link';
import type { KilnState } from './index';

/** The image the filters panel shows the model: one of the data panel's samples, a misclassified one, or the drawing. */
export type InspectSource =
  | { kind: 'sample'; index: number }
  | { kind: 'misclassified'; index: number }
  | { kind: 'drawn' };

/** The inspect slice. */
export interface InspectSlice {
  /** The digit last drawn on the pad, as the model's input ([0, 1] pixels), or null. */
  drawnDigit: Float32Array | null;
  inspectSource: InspectSource;
  /** Keeps the pad's digit and shows it to the filters panel (drawing makes the feature maps follow). */
  setDrawnDigit: (pixels: Float32Array) => void;
  setInspectSource: (source: InspectSource) => void;
  /** A run's weights and layer outputs for one image ([0, 1] pixels), or null if it has no weights to use. */
  inspect: (id: string, pixels: Float32Array) => Promise<Inspection | null>;
}

/** Numbers inspections, to match each answer to its request. */
let nextRequest = 1;

/** Creates the inspect slice. */
export const createInspectSlice: StateCreator<KilnState, [], [], InspectSlice> = (set, get) => ({
  drawnDigit: null,
  inspectSource: { kind: 'sample', index: 0 },
  setDrawnDigit: (drawnDigit) => set({ drawnDigit, inspectSource: { kind: 'drawn' } }),
  setInspectSource: (inspectSource) => set({ inspectSource }),
  inspect: async (id, pixels) => {
    if (!(await get().loadWeights(id))) return null;
    const requestId = nextRequest++;
    try {
      // A copy goes to the worker: the message transfers its buffer away.
      const msg = { type: 'inspect', requestId, runId: id, pixels: pixels.slice() } as const;
      const reply = await link.request(msg, 'inspection', (m) => m.requestId === requestId);
      if (reply.type !== 'inspection') return null;
      const { type: _, requestId: __, ...inspection } = reply;
      return inspection;
    } catch {
      return null;
    }
  },
});
