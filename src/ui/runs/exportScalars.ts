/** A run's logged scalars (and histograms) in the formats people take elsewhere: TensorBoard's CSV and event file. */
import { eventFileName, markdownVerbatim, SummaryWriter, scalarsToCsv } from 'kiln/tensorboard';
import type { ChartRun } from '../charts/types';
import type { RunHistograms } from '../store/insideSlice';

/** One tag's points as TensorBoard's "Download CSV" writes them (wall time in seconds). */
export function tagCsv(run: ChartRun, tag: string): string {
  return scalarsToCsv(
    (run.series[tag] ?? []).map((p) => ({ wallTime: p.wallTime / 1000, step: p.step, value: p.value })),
  );
}

/** A run's tags and notes as one Markdown text (notes verbatim), or null when it has neither. */
export function notesText(run: Pick<ChartRun, 'tags' | 'notes'>): string | null {
  const tags = run.tags?.length ? `Tags: ${run.tags.join(', ')}` : '';
  const notes = run.notes?.trim() ? markdownVerbatim(run.notes) : '';
  return tags || notes ? [tags, notes].filter(Boolean).join('\n\n') : null;
}

/**
 * Every tag of a run as one TensorBoard event file, events in wall-time order as a writer would
 * emit them: the scalars, and the histograms the page holds (HistogramProto, TensorBoard's
 * Histograms and Distributions tabs) under their tags, e.g. fc1.weight and fc1.weight.grad; last,
 * the run's tags and notes as a text summary tagged `notes` (TensorBoard's Text tab).
 */
export function eventFile(
  run: ChartRun,
  histograms: RunHistograms = {},
): { name: string; bytes: Uint8Array } {
  type Event = { wallTime: number; step: number; write: (w: SummaryWriter) => void };
  const events: Event[] = [
    ...Object.entries(run.series).flatMap(([tag, pts]) =>
      pts.map((p) => ({
        ...p,
        write: (w: SummaryWriter) => w.addScalar(tag, p.value, p.step, p.wallTime / 1000),
      })),
    ),
    ...Object.entries(histograms).flatMap(([tag, pts]) =>
      pts.map((p) => ({
        ...p,
        write: (w: SummaryWriter) =>
          w.addHistogram(tag, { ...p, counts: Array.from(p.counts) }, p.step, p.wallTime / 1000),
      })),
    ),
  ];
  events.sort((a, b) => a.wallTime - b.wallTime || a.step - b.step);
  const text = notesText(run);
  const last = events[events.length - 1];
  if (text !== null)
    events.push({
      wallTime: last?.wallTime ?? Date.now(),
      step: last?.step ?? 0,
      write: (w) => w.addText('notes', text, last?.step ?? 0, (last?.wallTime ?? Date.now()) / 1000),
    });
  const start = (events[0]?.wallTime ?? Date.now()) / 1000;
  const writer = new SummaryWriter(start);
  for (const e of events) e.write(writer);
  return { name: eventFileName('kiln', start), bytes: writer.flush() };
}
