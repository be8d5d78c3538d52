/**
 * Per-kernel GPU time from timestamp queries (where the adapter has `timestamp-query`). While
 * profiling, each dispatch runs in a compute pass of its own with begin/end timestamps; at each
 * submission the timestamps are resolved and read back asynchronously, and summed per label.
 */

/** GPU time spent in one kernel label. */
export interface KernelTime {
  label: string;
  calls: number;
  /** Total nanoseconds. */
  ns: number;
}

const CAPACITY = 4096;

/** Collects timestamp pairs for labelled dispatches. */
export class Profiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private labels: string[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly totals = new Map<string, KernelTime>();

  constructor(private readonly device: GPUDevice) {
    if (!device.features.has('timestamp-query'))
      throw new Error('this adapter has no timestamp-query feature: profiling is unavailable');
    this.querySet = device.createQuerySet({ label: 'kiln:profile', type: 'timestamp', count: CAPACITY });
    this.resolve = device.createBuffer({
      label: 'kiln:profile-resolve',
      size: CAPACITY * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  /** True when the query set is full and the caller must submit before the next dispatch. */
  get full(): boolean {
    return this.labels.length * 2 >= CAPACITY;
  }

  /** Timestamp writes for the pass of one dispatch labelled `label`. */
  passTimestamps(label: string): GPUComputePassTimestampWrites {
    const i = this.labels.length;
    this.labels.push(label);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Records the resolve into `encoder` (before it is finished); the read happens after submission. */
  resolveInto(encoder: GPUCommandEncoder): (() => void) | null {
    const n = this.labels.length;
    if (!n) return null;
    const labels = this.labels;
    this.labels = [];
    const readback = this.device.createBuffer({
      label: 'kiln:profile-read',
      size: n * 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, readback, 0, n * 16);
    return () => {
      this.pending.push(
        readback.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigInt64Array(readback.getMappedRange());
          labels.forEach((label, i) => {
            const entry = this.totals.get(label) ?? { label, calls: 0, ns: 0 };
            entry.calls++;
            entry.ns += Math.max(0, Number(t[2 * i + 1] - t[2 * i]));
            this.totals.set(label, entry);
          });
          readback.destroy();
        }),
      );
    };
  }

  /** Frees the query set and its resolve buffer (reads already submitted land first). */
  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
  }

  /** Per-label totals, largest first, once every submitted read has landed. */
  async report(): Promise<KernelTime[]> {
    await Promise.all(this.pending);
    return [...this.totals.values()].sort((a, b) => b.ns - a.ns);
  }
}
