import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerClient, WorkerGoneError } from './client';
import type { FromWorker, ToWorker } from './protocol';

/** A stand-in for a Web Worker: records what is posted, and lets the test answer or fail. */
function fakeWorker() {
  const posted: ToWorker[] = [];
  const worker = {
    onmessage: null as ((e: MessageEvent<FromWorker>) => void) | null,
    onerror: null as ((e: ErrorEvent) => void) | null,
    postMessage: (msg: ToWorker) => posted.push(msg),
    terminate: vi.fn(),
  };
  return {
    worker,
    posted,
    reply: (msg: FromWorker) => worker.onmessage?.({ data: msg } as MessageEvent<FromWorker>),
    crash: (message: string) => worker.onerror?.({ message, preventDefault() {} } as ErrorEvent),
  };
}

const load = { type: 'importCheckpoint', runId: 'r', bytes: new Uint8Array(1) } as const;
const loaded = (runId: string): FromWorker => ({
  type: 'checkpointLoaded',
  runId,
  model: { name: 'm', inputShape: [1], layers: [] },
});

afterEach(() => vi.useRealTimers());

describe('WorkerClient.request', () => {
  it('resolves with the matching answer, or with an error about the same run', async () => {
    const w = fakeWorker();
    const client = new WorkerClient(w.worker as unknown as Worker);
    const answer = client.request(load, 'checkpointLoaded', (m) => m.runId === 'r');
    expect(w.posted).toEqual([load]);
    w.reply(loaded('other'));
    w.reply(loaded('r'));
    expect(await answer).toMatchObject({ type: 'checkpointLoaded', runId: 'r' });
    const refused = client.request(load, 'checkpointLoaded', (m) => m.runId === 'r');
    w.reply({ type: 'error', kind: 'bad-input', message: 'not a checkpoint', runId: 'r' });
    expect(await refused).toMatchObject({ type: 'error', message: 'not a checkpoint' });
  });

  it('rejects when the worker dies, is terminated, or does not answer in time', async () => {
    const w = fakeWorker();
    const client = new WorkerClient(w.worker as unknown as Worker);
    const died = client.request(load, 'checkpointLoaded', () => true);
    w.crash('out of memory');
    await expect(died).rejects.toThrow(new WorkerGoneError('out of memory'));
    const stopped = client.request(load, 'checkpointLoaded', () => true);
    client.terminate();
    await expect(stopped).rejects.toThrow(WorkerGoneError);
    vi.useFakeTimers();
    const silent = new WorkerClient(fakeWorker().worker as unknown as Worker).request(
      load,
      'checkpointLoaded',
      () => true,
      1000,
    );
    vi.advanceTimersByTime(1000);
    await expect(silent).rejects.toThrow('did not answer within 1 s');
  });
});
