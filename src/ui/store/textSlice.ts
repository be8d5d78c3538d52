/**
 * A language model's views: a sample of its current weights, streamed character by character, and
 * a look inside it for a prompt (each head's attention, the likeliest next characters). The worker
 * does the work; these actions ask it and route what it streams back to whoever asked.
 */
import type { StateCreator } from 'zustand';
import type { FromWorker, MessageOf, SampleOptions, TextInspection } from '../../worker/protocol';
import { link } from '../link';
import type { KilnState } from './index';

/** The text actions. */
export interface TextSlice {
  /**
   * Streams a sample of run `id`'s weights to `onText` as the worker generates it; resolves with
   * null once it is complete, or with the one line that says why it stopped or was refused.
   */
  sample: (id: string, options: SampleOptions, onText: (text: string) => void) => Promise<string | null>;
  /** Run `id`'s attention patterns and next-character probabilities for `prompt`, or why there are none. */
  inspectText: (id: string, prompt: string) => Promise<TextInspection | string>;
}

/** Numbers text requests, to match each answer to its request. */
let nextRequest = 1;
/** Where each sample under way streams its characters, by request. */
const streams = new Map<number, (text: string) => void>();

/** Hands a streamed piece of a sample to the one who asked for it (called for every sampleText report). */
export function receiveSampleText(msg: MessageOf<FromWorker, 'sampleText'>): void {
  streams.get(msg.requestId)?.(msg.text);
}

/** The line a failed request shows. */
const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Creates the text slice. */
export const createTextSlice: StateCreator<KilnState, [], [], TextSlice> = (_set, get) => ({
  sample: async (id, options, onText) => {
    if (!(await get().loadWeights(id))) return 'this run has no weights to sample from yet';
    const requestId = nextRequest++;
    streams.set(requestId, onText);
    try {
      const msg = { type: 'sample', requestId, runId: id, ...options } as const;
      const reply = await link.request(msg, 'sampleEnd', (m) => m.requestId === requestId);
      return reply.type === 'sampleEnd' ? reply.error : reply.message;
    } catch (e) {
      return reason(e);
    } finally {
      streams.delete(requestId);
    }
  },
  inspectText: async (id, prompt) => {
    if (!(await get().loadWeights(id))) return 'this run has no weights to look inside yet';
    const requestId = nextRequest++;
    try {
      const msg = { type: 'inspectText', requestId, runId: id, prompt } as const;
      const reply = await link.request(msg, 'textInspection', (m) => m.requestId === requestId);
      if (reply.type === 'error') return reply.message;
      return reply.inspection ?? reply.error ?? 'no answer';
    } catch (e) {
      return reason(e);
    }
  },
});
