/** A run's logged scalars in the two formats people take elsewhere: TensorBoard's CSV and event file. */
import { scalarsToCsv } from '../../train/csv';
import { eventFileName, SummaryWriter } from '../../train/tensorboard';
import type { ChartRun } from '../charts/types';

/** One tag's points as TensorBoard's "Download CSV" writes them (wall time in seconds). */
export function tagCsv(run: ChartRun, tag: string): string {
  return scalarsToCsv(
    (run.series[tag] ?? []).map((p) => ({ wallTime: p.wallTime / 1000, step: p.step, value: p.value })),
  );
}

/** Every tag of a run as one TensorBoard event file, events in wall-time order as a writer would emit them. */
export function eventFile(run: ChartRun): { name: string; bytes: Uint8Array } {
  const points = Object.entries(run.series).flatMap(([tag, pts]) => pts.map((p) => ({ tag, ...p })));
  points.sort((a, b) => a.wallTime - b.wallTime || a.step - b.step);
  const start = (points[0]?.wallTime ?? Date.now()) / 1000;
  const writer = new SummaryWriter(start);
  for (const p of points) writer.addScalar(p.tag, p.value, p.step, p.wallTime / 1000);
  return { name: eventFileName('kiln', start), bytes: writer.flush() };
}
